#!/bin/sh
# Rebuild every form in tests/canonical_forms_wild/ from fixtures/example.
# Needs: Debian packages libreoffice-calc and python3-uno (soffice, /usr/bin/python3 with uno),
#        a throwaway venv with openpyxl: python3 -m venv /tmp/wildvenv && /tmp/wildvenv/bin/pip install openpyxl
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(dirname "$HERE")                      # tests/canonical_forms_wild
SRC=$(cd "$OUT/../../fixtures/example" && pwd)
WORK=$(mktemp -d /tmp/wildbuild.XXXXXX)
PROFILE="file://$WORK/lo_profile"           # throwaway LibreOffice user profile
VENVPY=${VENVPY:-/tmp/wildvenv/bin/python}
CSV="Text - txt - csv (StarCalc)"
ALLTEXT="1/2/2/2/3/2/4/2/5/2/6/2/7/2/8/2/9/2/10/2"   # columns 1..10 imported as Text (code 2)
IN_TEXT="$CSV:44,34,76,1,$ALLTEXT,1053,false,false"    # ',' '"' UTF-8, from row 1, all Text, sv-SE

lo() {  # lo OUTDIR EXPORT_FILTER_OPTIONS FILES...
  d=$1; opts=$2; shift 2
  soffice -env:UserInstallation="$PROFILE" --headless --infilter="$IN_TEXT" \
    --convert-to "csv:$CSV:$opts" --outdir "$d" "$@"
}

cd "$SRC"
T="person.csv aktualisering.csv beslut.csv insats.csv uppfoljning.csv"
# 1. Excel "CSV (semikolonavgränsad)": ';', Windows-1252 (charset code 1), save as shown
lo "$WORK/excel_sv_csv" "59,34,1,1,,1053,false,true,true" $T
# 2. Excel "CSV UTF-8": ';', UTF-8 (76); BOM and CRLF are added by post.py (LibreOffice 7.4 writes neither)
lo "$WORK/utf8_bom_semicolon" "59,34,76,1,,1053,false,true,true" $T
# 3. tab-separated UTF-8, still named .csv (LibreOffice output kept as is: LF line ends, no BOM)
lo "$WORK/tab_utf8" "9,34,76,1,,1053,false,true,true" $T
# 9. Excel "Unicode text" of person.csv: tab, UTF-16 (65535 = UCS-2/UTF-16LE with BOM); CRLF added by post.py
lo "$WORK/unicode_text" "9,34,65535,1,,1053,false,true,true" person.csv
# 4./5./6. workbooks and the mangled person/aktualisering via UNO
/usr/bin/python3 "$HERE/lo_uno.py" "$SRC" "$WORK/xlsx" "$WORK/mangled_by_excel" "$WORK/lo_uno_profile"

# assemble, fix line ends/BOM, far corner, zips
"$VENVPY" "$HERE/post.py" "$SRC" "$WORK" "$OUT"
rm -rf "$WORK"
