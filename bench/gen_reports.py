#!/usr/bin/env python3
"""Bench corpus generator (bench/README.md): synthetic IC-ISM intelligence reports for the bench
policy (bench/policy/), deterministic for a seed.

    bench/gen_reports.py --out DIR [--seed N] [--count 2k=N,20k=N,200k=N,2m=N]

writes
    DIR/reports/<size>/rNNNNNN.xml    reports of about 2 KB, 20 KB, 200 KB and 2 MB (by --count)
    DIR/policy-<W>/policy.yaml        the bench policy, with report.xsd, and words.txt holding
                                      W = 10, 1,000 or 10,000 dirty words (each list a prefix of
                                      the next, so the reports hit the same words under all three)
    DIR/corpus.txt                    one line per size: size, reports, bytes, portions, withheld

Every report is valid against report.xsd and releasable from intel to customs: 20 to 40 % of its
portions (drawn per report) are withheld for customs (SECRET or TOP SECRET, the SI and TK
compartments, PROPIN); the rest is U or C, some with NF, LES, FOUO or REL TO USA, and carries
dirty words (from the first ten of the list: one about every 250 bytes), e-mail addresses, phone
numbers, passport numbers and IBANs (valid check digits), in text and in attributes. Each report
has a unique reportId BENCH-<12 digits> that load clients may rewrite in place to make a copy
unique (the gateway derives the transfer id from the report's digest).
"""
import argparse
import os
import random
import shutil
import sys

SIZES = {"2k": 2 * 1024, "20k": 20 * 1024, "200k": 200 * 1024, "2m": 2 * 1024 * 1024}
WORD_LISTS = (10, 1000, 10000)

VOCABULARY = """
the a of to and in on for with from by at as that this these those its their was were is are
has have had been will would may could should not no also further new recent reported
observed assessed believed likely unlikely possible confirmed unconfirmed group network
courier shipment container vessel terminal port quay harbour border crossing checkpoint
warehouse depot freight cargo manifest declaration invoice payment transfer account cash
funds money proceeds route corridor sailing ferry truck trailer driver crew captain agent
broker supplier buyer contact associate member leader cell team unit desk officer analyst
service agency customs police partner liaison source reporting stream assessment judgement
confidence moderate high low evidence indication pattern activity movement meeting travel
visit week month evening morning night tuesday friday island coast city district region
north south east west inland offshore coastal main secondary previous following next last
increase decrease rise fall change resumption halt delay closure storm weather schedule
timetable volume value quantity number several many few some most all each other another
between during after before since until within without across through towards against
""".split()

SYLLABLES = """ka ve lo dri mar sen tho bal cor nyx qua fen gor hal ixo jul kes lum mor nev
osk pra rin sul tav ulv vor wyn xan yar zel bre cla dra fro gru kla plo sna tri vex zor""".split()

FIRST = "lena marco ines pavel ada tomas yusuf greta ivan nora oskar mila hugo sara".split()
LAST = "osk varga lindqvist moreau brandt keller novak rossi duval petrov horvat sousa".split()
DOMAINS = "mailbox.example freight.example nis.example shipping.example port.example".split()

# Portion markings: (attributes, withheld for customs?). customs: clearance C, holds USA, LES.
RELEASED = [
    'ism:classification="U" ism:ownerProducer="USA"',
    'ism:classification="U" ism:ownerProducer="USA" ism:disseminationControls="FOUO"',
    'ism:classification="C" ism:ownerProducer="USA"',
    'ism:classification="C" ism:ownerProducer="USA" ism:disseminationControls="LES"',
    'ism:classification="C" ism:ownerProducer="USA" ism:disseminationControls="NF"',
    'ism:classification="C" ism:ownerProducer="USA" ism:releasableTo="USA" '
    'ism:disseminationControls="REL"',
]
WITHHELD = [
    'ism:classification="S" ism:ownerProducer="USA"',
    'ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF"',
    'ism:classification="C" ism:ownerProducer="USA" ism:SCIcontrols="SI"',
    'ism:classification="TS" ism:ownerProducer="USA" ism:SCIcontrols="SI TK" '
    'ism:disseminationControls="NF"',
    'ism:classification="C" ism:ownerProducer="USA" ism:disseminationControls="PR"',
]
LEVELS = ["U", "C", "S", "TS"]
DISSEM_ORDER = ["FOUO", "LES", "NF", "PR", "REL"]
SCI_ORDER = ["SI", "TK"]


def attr(marking, name):
    key = 'ism:%s="' % name
    i = marking.find(key)
    if i < 0:
        return []
    j = marking.index('"', i + len(key))
    return marking[i + len(key):j].split()


def word_list(rng_seed):
    """10,000 distinct invented code words and phrases (a tenth of them 'Operation X')."""
    rng = random.Random(rng_seed * 7919 + 1)
    seen, words = set(VOCABULARY), []
    while len(words) < WORD_LISTS[-1]:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w in seen or len(w) < 5:
            continue
        seen.add(w)
        words.append(("Operation " if rng.random() < 0.1 else "") + w.capitalize())
    return words


def iban(rng):
    bank = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
    bban = bank + "".join(rng.choice("0123456789") for _ in range(14))
    digits = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(digits) % 97
    s = "GB%02d%s" % (check, bban)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def pii(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return "%s.%s@%s" % (rng.choice(FIRST), rng.choice(LAST), rng.choice(DOMAINS))
    if kind == 1:
        shape = rng.randrange(3)
        if shape == 2:
            return "+33 1 42 68 %02d %02d" % (rng.randrange(100), rng.randrange(100))
        return ("+44 20 7946 %04d", "+1 202 555 %04d")[shape] % rng.randrange(10000)
    if kind == 2:
        return "passport %02d%s%05d" % (rng.randrange(100), "".join(
            rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)), rng.randrange(100000))
    return iban(rng)


class Writer:
    """Text of portions: sentences of ordinary words with dirty words and personal data."""

    def __init__(self, rng, hits):
        self.rng, self.hits = rng, hits

    def sentence(self):
        rng = self.rng
        out = []
        for i in range(rng.randint(8, 18)):
            r = rng.random()
            if r < 0.06:
                out.append(rng.choice(self.hits))
            elif r < 0.085:
                out.append(pii(rng))
            else:
                out.append(rng.choice(VOCABULARY))
        out[0] = out[0][0].upper() + out[0][1:]
        return " ".join(out) + "."

    def text(self, nbytes):
        parts, n = [], 0
        while n < nbytes:
            s = self.sentence()
            parts.append(s)
            n += len(s) + 1
        return " ".join(parts)

    def para_body(self, nbytes):
        rng = self.rng
        body = self.text(nbytes)
        if rng.random() < 0.3:
            body += ' <Ref kind="contact">%s</Ref>' % pii(rng)
        if rng.random() < 0.3:
            body += ' <Ref kind="operation">%s</Ref>' % rng.choice(self.hits)
        return body


def report(rng, hits, target, report_id):
    w = Writer(rng, hits)
    title = "Weekly picture %d: %s" % (report_id, w.sentence())
    summary = w.text(rng.randint(100, 250))
    # The paragraphs' text first, until the report reaches its size (the markup of a portion
    # is about 90 bytes, a section's 45); then which of them are withheld.
    size = 430 + len(title) + len(summary) + 2 * 60
    bodies = []
    while size < target - 250 or not bodies:
        bodies.append(w.para_body(rng.randint(150, 500) if target < 10000 else rng.randint(300, 700)))
        size += len(bodies[-1]) + 90 + 7
    nportions = len(bodies) + 2  # Title and Summary: always released
    frac = rng.uniform(0.20, 0.40)
    nwithheld = max(1, min(len(bodies), round(frac * nportions)))
    withheld = set(rng.sample(range(len(bodies)), nwithheld))
    markings = [RELEASED[0], RELEASED[0]]
    body = []
    section = 0
    for i, text in enumerate(bodies):
        if i == 0 or rng.random() < 0.15:
            if i:
                body.append("  </Section>\n")
            section += 1
            body.append('  <Section heading="Section %d">\n' % section)
        m = rng.choice(WITHHELD if i in withheld else RELEASED)
        markings.append(m)
        body.append("      <Para %s>%s</Para>\n" % (m, text))
    body.append("  </Section>\n")
    level = max(LEVELS.index(attr(m, "classification")[0]) for m in markings)
    dissem = {t for m in markings for t in attr(m, "disseminationControls")}
    sci = {t for m in markings for t in attr(m, "SCIcontrols")}
    banner = 'ism:classification="%s" ism:ownerProducer="USA"' % LEVELS[level]
    if sci:
        banner += ' ism:SCIcontrols="%s"' % " ".join(t for t in SCI_ORDER if t in sci)
    if dissem:
        banner += ' ism:disseminationControls="%s"' % " ".join(t for t in DISSEM_ORDER if t in dissem)
    if "REL" in dissem:
        banner += ' ism:releasableTo="USA"'
    reporter = pii(rng) if rng.random() < 0.5 else "%s.desk@nis.example" % rng.choice(LAST)
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<IntelReport xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" '
            'ism:DESVersion="10" %s\n    reportId="BENCH-%012d" created="2025-%02d-%02d" '
            'reportedBy="%s">\n'
            '  <Title %s>%s</Title>\n'
            '  <Summary %s>%s</Summary>\n') % (
        banner, report_id, rng.randint(1, 12), rng.randint(1, 28), reporter, RELEASED[0], title,
        RELEASED[0], summary)
    return head + "".join(body) + "</IntelReport>\n", nportions, nwithheld


def write_policies(out, words, src):
    for n in WORD_LISTS:
        d = os.path.join(out, "policy-%d" % n)
        os.makedirs(d, exist_ok=True)
        for f in ("policy.yaml", "report.xsd"):
            shutil.copyfile(os.path.join(src, f), os.path.join(d, f))
        with open(os.path.join(d, "words.txt"), "w", encoding="utf-8") as f:
            f.write("# bench dirty words (%d), bench/gen_reports.py\n" % n)
            f.write("\n".join(words[:n]) + "\n")
        for f in os.listdir(d):
            os.chmod(os.path.join(d, f), 0o644)  # the gateway refuses files others may write


def parse_counts(text):
    counts = {}
    for item in text.split(","):
        size, _, n = item.partition("=")
        if size not in SIZES or not n.isdigit():
            raise argparse.ArgumentTypeError("--count wants SIZE=N,... with SIZE in "
                                             + ", ".join(SIZES))
        counts[size] = int(n)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=parse_counts, default=parse_counts("2k=1000,20k=1000,200k=100,2m=10"))
    a = ap.parse_args()
    words = word_list(a.seed)
    write_policies(a.out, words, os.path.join(os.path.dirname(os.path.abspath(__file__)), "policy"))
    hits = words[:WORD_LISTS[0]]
    summary = []
    for k, (size, count) in enumerate(sorted(a.count.items(), key=lambda kv: SIZES[kv[0]])):
        rng = random.Random("%d/%s" % (a.seed, size))
        d = os.path.join(a.out, "reports", size)
        os.makedirs(d, exist_ok=True)
        nbytes = nport = nwith = 0
        for i in range(count):
            text, p, w = report(rng, hits, SIZES[size], (list(SIZES).index(size) + 1) * 10**9 + i)
            data = text.encode("utf-8")
            with open(os.path.join(d, "r%06d.xml" % i), "wb") as f:
                f.write(data)
            nbytes, nport, nwith = nbytes + len(data), nport + p, nwith + w
        summary.append("%s\t%d\t%d\t%d\t%d" % (size, count, nbytes, nport, nwith))
    with open(os.path.join(a.out, "corpus.txt"), "w") as f:
        f.write("size\treports\tbytes\tportions\twithheld\n" + "\n".join(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
