# A private RabbitMQ broker on loopback for the tests (sourced, not run; not a test): its own
# node name, ports, Erlang cookie, data, log and configuration folders under DIR, its own epmd
# on its own port, so that it never meets a broker of the system or of another test.
# shellcheck shell=bash

# rabbitmq_start DIR AMQP_PORT EPMD_PORT DIST_PORT: starts the broker (log in DIR/broker.out),
# sets MQ_PID and MQ_EPMD_PID, waits up to 180 s until it accepts AMQP; false when it does not.
rabbitmq_start() {
	rabbitmq_launch "$@" && rabbitmq_ready "$2"
}

# rabbitmq_launch DIR AMQP_PORT EPMD_PORT DIST_PORT: starts the broker without waiting for it
# (in this shell, so that MQ_PID and MQ_EPMD_PID stay known to rabbitmq_cleanup).
rabbitmq_launch() {
	local dir=$1 port=$2 epmd_port=$3 dist_port=$4
	mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
	chmod 700 "$dir/home"
	[ -f "$dir/home/.erlang.cookie" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/home/.erlang.cookie"; chmod 400 "$dir/home/.erlang.cookie"; }
	cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$port
loopback_users.guest = true
log.console = false
log.file.level = warning
CONF
	echo "[]." >"$dir/enabled_plugins"
	if [ -z "${MQ_EPMD_PID:-}" ] || ! kill -0 "$MQ_EPMD_PID" 2>/dev/null; then
		HOME=$dir/home epmd -port "$epmd_port" -address 127.0.0.1 >"$dir/epmd.out" 2>&1 &
		MQ_EPMD_PID=$!
		for _ in $(seq 1 50); do
			(exec 3<>"/dev/tcp/127.0.0.1/$epmd_port") 2>/dev/null && break
			sleep 0.1
		done
	fi
	MQ_ENV=(env HOME="$dir/home" ERL_EPMD_PORT="$epmd_port" ERL_EPMD_ADDRESS=127.0.0.1
		RABBITMQ_NODENAME="sluice-test-$$@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
		RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist_port"
		RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
		RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log"
		RABBITMQ_PID_FILE="$dir/broker.pid" RABBITMQ_CONF_ENV_FILE=/dev/null
		RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" RABBITMQ_SERVER_START_ARGS="-start_epmd false")
	# its own process group (setsid does not fork here: a background job of a script is no
	# group leader), so that rabbitmq_stop reaches every Erlang process it started
	setsid "${MQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server >>"$dir/broker.out" 2>&1 &
	MQ_PID=$!
}

# rabbitmq_ready AMQP_PORT: waits up to 180 s (a loaded CI machine) for the launched broker to
# accept AMQP.
rabbitmq_ready() {
	local _
	for _ in $(seq 1 1800); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		kill -0 "$MQ_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# rabbitmq_stop: stops the broker (its whole process tree, by its pid), keeping epmd.
rabbitmq_stop() {
	[ -n "${MQ_PID:-}" ] || return 0
	kill -TERM -- "-$MQ_PID" 2>/dev/null
	for _ in $(seq 1 300); do pgrep -g "$MQ_PID" >/dev/null 2>&1 || break; sleep 0.1; done
	kill -KILL -- "-$MQ_PID" 2>/dev/null
	for _ in $(seq 1 50); do pgrep -g "$MQ_PID" >/dev/null 2>&1 || break; sleep 0.1; done
	wait "$MQ_PID" 2>/dev/null
	MQ_PID=
}

# rabbitmq_cleanup: the broker and its epmd (for an EXIT trap).
rabbitmq_cleanup() {
	rabbitmq_stop
	[ -z "${MQ_EPMD_PID:-}" ] || { kill "$MQ_EPMD_PID" 2>/dev/null; wait "$MQ_EPMD_PID" 2>/dev/null; }
	MQ_EPMD_PID=
}
