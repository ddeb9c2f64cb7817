#!/usr/bin/env bash
# Regenerates filters/ism_country_codes.inc from the ODNI IC-ISM V10 controlled vocabulary
# (CVEnumISMRelTo.xml, approved for public release). Usage: gen-ism-countries.sh CVE_FILE
set -euo pipefail
cve=${1:?usage: gen-ism-countries.sh PATH/TO/CVEnumISMRelTo.xml}
{
echo "/* Generated from ODNI IC-ISM V10 CVEnumISMRelTo.xml (\"approved for Public Release and is"
echo " * available for use without restriction\"): USA, GENC trigraphs, CAPCO tetragraphs."
echo " * Regenerate with scripts/gen-ism-countries.sh; do not edit by hand. */"
grep -o '<Value[^>]*>[A-Z]*</Value>' "$cve" | sed 's/.*">\([A-Z]*\)<.*/"\1",/' | paste -sd' ' | fold -s -w 96
} > "$(dirname "$0")/../filters/ism_country_codes.inc"
