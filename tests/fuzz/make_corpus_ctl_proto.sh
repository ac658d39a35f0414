#!/usr/bin/env bash
# Write the seed corpus of fuzz_ctl_proto: a few valid exchanges, small.
# Each file is a control byte, a seed byte (see fuzz_ctl_proto.c), then the
# stream. Run it from anywhere; it rewrites tests/fuzz/corpus/ctl_proto/.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/corpus/ctl_proto"
mkdir -p "$out"

le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# frame TYPE STATUS PAYLOAD: PAYLOAD is a printf format (\x00 for NUL).
frame() {
    local len
    len=$(printf "$3" | wc -c)
    printf "NCTL\\x01\\x00\\x0$1\\x00$(le32 "$2")$(le32 "$len")"
    printf "$3"
}

# Control byte: bits 0-1 pick the limit (0: request, 1: response, 2: 64
# bytes), bit 7 hands the rest to the parsers unframed.
{ printf '\x00\x01'; frame 1 0 'status\x00web\x00'; } >"$out/request_status"
{ printf '\x00\x02'; frame 1 0 'start-child\x00pool\x00name=caf\xc3\xa9\x00size=64\x00'; } >"$out/request_utf8"
{ printf '\x01\x03'
  frame 2 0 'path=/ kind=supervisor depth=0 state=running strategy=one_for_one intensity=3 period_ms=5000 children=1\npath=web kind=worker depth=1 state=running restart=permanent restarts=0 pid=42 uptime_ms=17\n'
  frame 3 0 ''; } >"$out/status_answer"
{ printf '\x01\x04'
  frame 2 0 'ts=2024-05-01T12:00:00.000Z level=error event=child_exited supervisor=/ child=web reason="exit \\"1\\"\\\\x" msg="two\\nlines\\x09tab" empty=""\n'
  frame 3 4 'running'; } >"$out/events_and_refused"
{ printf '\x02\x05'; frame 1 0 'version\x00'; frame 1 0 'stop\x00'; frame 1 0 'x\x00'; } >"$out/three_requests_small_limit"
{ printf '\x00\x06'; printf 'NCTL\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'; } >"$out/bad_version"
printf '\x80\x00call\x00web/listener\x00get\x005000\x00' >"$out/raw_argv"
printf '\x80\x00k=v q="a \\"b\\" \\\\" e= x="\\x1b\\n"' >"$out/raw_record"
