#!/usr/bin/env bash
# Sends real images (scikit-image's sample data: photographs, scans, a retina, the Hubble deep
# field, palette and 16-bit files, plus 12-bit-in-16 and grey-as-RGB frames made from them)
# through the built agent to the embedded gateway, then checks every stored blob with an
# independent Pillow/scipy implementation of the original operator. Needs Debian's
# python3-pil python3-numpy python3-scipy python3-skimage, and `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=/tmp/haste-real-image-trial
rm -rf "$work" && mkdir -p "$work/watch"
sed "s#/tmp/trial#$work#g" scripts/realImageTrial/makeInputs.py > "$work/makeInputs.py"
sed "s#/tmp/trial#$work#g" scripts/realImageTrial/verify.py > "$work/verify.py"
/usr/bin/python3 "$work/makeInputs.py" > /dev/null
export HASTE_PASSWORD=trial
node dist/cli.js gateway --port 0 --username lab --store "$work/store" --max-bytes-per-second 300000 > "$work/gateway.log" 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -Eo 'http://[0-9.]+:[0-9]+' "$work/gateway.log" > /dev/null && break; sleep 0.1; done
url=$(grep -Eo 'http://[0-9.]+:[0-9]+' "$work/gateway.log" | head -1)
cp "$work"/in/* "$work/watch/"
count=$(ls "$work/watch" | wc -l)
node dist/cli.js "$work/watch" --host "$url" --username lab --mode fifo --include png,tif --state-dir "$work/state" --log-format json > "$work/agent.log" 2>&1 &
agent=$!
for _ in $(seq 600); do [ "$(grep -c '"type":"uploaded"' "$work/agent.log" || true)" -ge "$count" ] && break; sleep 0.2; done
kill -INT $agent; wait $agent || true
/usr/bin/python3 "$work/verify.py"
