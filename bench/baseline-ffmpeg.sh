#!/usr/bin/env bash
# The QC an engineer would script today with ffmpeg, for comparison with `stemkit check`:
#
#   1. for every stem and the mix, one ffmpeg pass with astats (sample peak, RMS, DC offset, peak
#      count as the clipping hint) and ebur128=peak=true (integrated loudness, LRA, true peak, and
#      the momentary/short-term maxima taken from its 10 Hz frame log);
#   2. the null test: all stems summed at unity gain with amix=normalize=0, plus the mix inverted
#      with volume=-1, into astats: the residual's peak and RMS (−inf when it nulls exactly).
#
# Files run one after another, as a script would. Prints what it measured.
#
#   bench/baseline-ffmpeg.sh DIR          # DIR/stems/*.wav and DIR/mix.wav
#   FFMPEG=/path/to/ffmpeg bench/baseline-ffmpeg.sh DIR
#
# Exit status: 0 done, 2 usage, 127 ffmpeg not installed.
set -euo pipefail

FFMPEG=${FFMPEG:-ffmpeg}
if ! command -v "$FFMPEG" >/dev/null 2>&1; then
  echo "ffmpeg: not installed" >&2
  exit 127
fi
if [[ $# -ne 1 || ! -d $1 ]]; then
  echo "usage: $0 PACKAGE_DIR   (PACKAGE_DIR/stems/*.wav and PACKAGE_DIR/mix.wav)" >&2
  exit 2
fi
dir=${1%/}
mix="$dir/mix.wav"
shopt -s nullglob
stems=("$dir"/stems/*.wav)
if [[ ${#stems[@]} -eq 0 || ! -f $mix ]]; then
  echo "$0: expected $dir/stems/*.wav and $dir/mix.wav" >&2
  exit 2
fi

# Reads an ffmpeg log (astats + ebur128) on stdin, prints one row of numbers.
parse_measure() {
  awk -v name="$1" '
    / t: / {
      for (i = 1; i < NF; i++) {
        if ($i == "M:" && ($(i + 1) + 0 > maxM || maxM == "")) maxM = $(i + 1) + 0
        if ($i == "S:" && ($(i + 1) + 0 > maxS || maxS == "")) maxS = $(i + 1) + 0
      }
      next
    }
    /\] Overall$/ { overall = 1; next }
    overall && /Peak level dB:/ { peak = $NF }
    overall && /RMS level dB:/ { rms = $NF }
    overall && /DC offset:/ { dc = $NF }
    overall && /Peak count:/ { pcount = $NF + 0 }
    /Summary:/ { summary = 1; next }
    summary && $1 == "I:" { integrated = $2 }
    summary && $1 == "LRA:" { lra = $2 }
    summary && $1 == "Peak:" { tp = $2 }
    END {
      printf "%-22s %8s %6s %7s %7s %7s %8s %8s %10s %6s\n", name, integrated, lra, tp, maxM, maxS, peak, rms, dc, pcount
    }'
}

printf '%-22s %8s %6s %7s %7s %7s %8s %8s %10s %6s\n' file 'I_LUFS' 'LRA_LU' 'TP_dBTP' 'maxM' 'maxS' 'peak_dB' 'RMS_dB' 'DC' 'pkcnt'
for f in "${stems[@]}" "$mix"; do
  "$FFMPEG" -nostdin -nostats -hide_banner -i "$f" \
    -af "astats=measure_perchannel=none,ebur128=peak=true" -f null - 2>&1 |
    parse_measure "${f#"$dir"/}"
done

# Null test: Σ stems − mix, summed by amix without its 1/n normalisation.
inputs=()
labels=""
for i in "${!stems[@]}"; do
  inputs+=(-i "${stems[$i]}")
  labels+="[$i:a]"
done
n=${#stems[@]}
"$FFMPEG" -nostdin -nostats -hide_banner "${inputs[@]}" -i "$mix" \
  -filter_complex "[$n:a]volume=-1[neg];${labels}[neg]amix=inputs=$((n + 1)):normalize=0,astats=measure_perchannel=none" \
  -f null - 2>&1 |
  awk -v n="$n" '
    /\] Overall$/ { overall = 1; next }
    overall && /Peak level dB:/ { peak = $NF }
    overall && /RMS level dB:/ { rms = $NF }
    END { printf "null test (sum of %d stems - mix): residual peak %s dBFS, RMS %s dBFS\n", n, peak, rms }'
