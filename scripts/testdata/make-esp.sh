#!/usr/bin/env bash
# Make testdata/esp-null.pcap: SIP inside ESP with NULL encryption (RFC 2410),
# transport mode, HMAC-SHA1-96 one way and HMAC-SHA256-128 the other, plus one
# call encrypted with AES-CBC (counted as esp_encrypted).
#
# The kernel here has no XFRM (`ip xfrm state add ... enc cipher_null ""`
# answers "Requested type not found"), so SIPp's traffic cannot be sent
# through kernel IPsec. esp_wrap.py applies scapy's ESP implementation to the
# UDP packets SIPp sent in testdata/udp-nonstandard-port.pcap (make it first
# with make-nonstandard-port.sh). scapy and cryptography come from PyPI.
#
#   bash scripts/testdata/make-esp.sh
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
OUT="${TD_OUT:-$D/../../testdata}"
python3 -c 'import scapy, cryptography' 2>/dev/null || pip install scapy cryptography
python3 "$D/esp_wrap.py" "$OUT/udp-nonstandard-port.pcap" "$OUT/esp-null.pcap"
chmod 644 "$OUT/esp-null.pcap"
echo "[make-esp.sh] wrote testdata/esp-null.pcap ($(stat -c %s "$OUT/esp-null.pcap") bytes)" >&2
