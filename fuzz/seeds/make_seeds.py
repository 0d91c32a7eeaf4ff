#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/seed_*).

Usage: fuzz/seeds/make_seeds.py [dir]   (see fuzz/README.md)
The CSRs are made with `openssl req` into `dir` (a temporary one by default), one
`<name>.pem` per kind of request a gateway might send.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

CN = "/CN=aa:bb:cc:dd:ee:ff"
# name -> (key generation options for `openssl genpkey`, extra `openssl req` options)
CSRS = {
    "rsa2048": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], []),
    "rsa2048_san": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], ["-addext", "subjectAltName=DNS:gw.example"]),
    "rsa2048_sha1": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], ["-sha1"]),
    "rsa2048_sha384": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], ["-sha384"]),
    "rsa1024": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"], []),
    "rsa2047": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2047"], []),
    "rsa2050": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2050"], []),
    "rsa4096": (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"], []),
    "rsapss2048": (["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"], []),
    "p256": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], []),
    "p256_sha384": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-sha384"]),
    "p256_sha512": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-sha512"]),
    "p256_upper": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-subj", CN.upper()]),
    "p256_other_cn": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-subj", "/CN=11:22:33:44:55:66"]),
    "p256_no_cn": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-subj", "/O=TDS gateways"]),
    "p256_two_cn": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-subj", CN + "/CN=11:22:33:44:55:66"]),
    "p256_utf8": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-utf8"]),
    "p256_ca": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-addext", "basicConstraints=critical,CA:TRUE"]),
    "p256_unknown_ext": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-addext", "nsComment=hello"]),
    "p384": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], []),
    "p384_sha256": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], ["-sha256"]),
    "ed25519": (["-algorithm", "ED25519"], []),
}


def make_csrs(d):
    """One CSR per entry of CSRS in `d` (keys are thrown away)."""
    for name, (keygen, req) in CSRS.items():
        key = os.path.join(d, name + ".key")
        subprocess.run(["openssl", "genpkey", *keygen, "-out", key], check=True, capture_output=True)
        subj = [] if "-subj" in req else ["-subj", CN]
        subprocess.run(["openssl", "req", "-new", "-key", key, *subj, *req, "-out", os.path.join(d, name + ".pem")],
                       check=True, capture_output=True)
        os.remove(key)

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")
MAC = "aa:bb:cc:dd:ee:ff"
TOPIC = f"tds_new/devices/{MAC}/telemetry"
OK_TIME = "2026-02-18T14:30:00Z"


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(CORPUS, target, f"seed_{name}"), "wb") as f:
        f.write(data)


def payload(items, mac=MAC, ts=OK_TIME):
    return json.dumps({"gateway_mac": mac, "timestamp": ts, "leituras": items}, ensure_ascii=False)


head = f'"gateway_mac": "{MAC}", "timestamp": "{OK_TIME}"'
payloads = {
    # SPEC §3 and the seeds' firmware
    "spec": payload([{"dispositivo_codigo": "D01", "valor": 123.45, "unidade": "kWh"},
                     {"dispositivo_codigo": "D02", "valor": 67.89, "unidade": "m³"}]),
    "upper_mac": payload([{"dispositivo_codigo": "D01", "valor": 1}], mac=MAC.upper()),
    "dash_mac": payload([{"dispositivo_codigo": "D01", "valor": 1}], mac=MAC.replace(":", "-")),
    "offset_time": payload([{"dispositivo_codigo": "D01", "valor": -1.5e-3}], ts="2026-02-18T11:30:00-03:00"),
    "fraction_time": payload([{"dispositivo_codigo": "D01", "valor": 0}], ts="2026-02-18T14:30:00.123456789Z"),
    "full_gateway": payload([{"dispositivo_codigo": f"D{i:03}", "valor": i * 1.25, "unidade": "kWh"} for i in range(247)]),
    "empty": payload([]),
    "unit_null": payload([{"dispositivo_codigo": "D01", "valor": 5, "unidade": None}]),
    "unit_long": payload([{"dispositivo_codigo": " D01 ", "valor": 5, "unidade": "  quilowatt-hora por dia  "}]),
    "big_ints": payload([{"dispositivo_codigo": "D01", "valor": 18446744073709551615},
                         {"dispositivo_codigo": "D02", "valor": -9223372036854775808},
                         {"dispositivo_codigo": "D03", "valor": 1.7976931348623157e308}]),
    # one per dead-letter reason (workers/tests/writer.rs, domain telemetry tests)
    "bad_json": '{"gateway_mac": ',
    "not_json": "{not json",
    "not_utf8": b"\xc3\x28\xff",
    "nan": f'{{{head}, "leituras": [{{"dispositivo_codigo": "D01", "valor": NaN}}]}}',
    "infinity": f'{{{head}, "leituras": [{{"dispositivo_codigo": "D01", "valor": -Infinity}}]}}',
    "out_of_range": f'{{{head}, "leituras": [{{"dispositivo_codigo": "D01", "valor": 1e400}}]}}',
    "nan_text": payload([{"dispositivo_codigo": "D01", "valor": "NaN"}, {"dispositivo_codigo": "D02", "valor": " -inf "},
                         {"dispositivo_codigo": "D03", "valor": "Infinity"}]),
    "wrong_value": payload([{"dispositivo_codigo": "D01", "valor": "12,5"}, {"dispositivo_codigo": "D02", "valor": True},
                            {"dispositivo_codigo": "D03", "valor": [1]}, {"dispositivo_codigo": "D04", "valor": None}]),
    "wrong_items": payload([3, "x", None, [], {"valor": 2}, {"dispositivo_codigo": "", "valor": 1},
                            {"dispositivo_codigo": 7, "valor": 1}, {"dispositivo_codigo": "D05"},
                            {"dispositivo_codigo": "D06", "valor": 1, "unidade": 3}]),
    "missing_timestamp": f'{{"gateway_mac": "{MAC}", "leituras": []}}',
    "missing_mac": f'{{"timestamp": "{OK_TIME}", "leituras": []}}',
    "missing_items": f'{{{head}}}',
    "items_not_list": f'{{{head}, "leituras": 3}}',
    "mac_not_string": f'{{"gateway_mac": 1, "timestamp": "{OK_TIME}", "leituras": []}}',
    "time_not_string": f'{{"gateway_mac": "{MAC}", "timestamp": 1771425000, "leituras": []}}',
    "not_object": "[1, 2, 3]",
    "mac_mismatch": payload([{"dispositivo_codigo": "D01", "valor": 1}], mac="02:99:00:00:00:01"),
    "mac_garbage": payload([], mac="banana"),
    "bad_timestamp": payload([], ts="ontem"),
    "future_timestamp": payload([], ts="2026-02-18T16:30:00Z"),
    "far_timestamp": payload([], ts="9999-12-31T23:59:59-23:59"),
    "old_timestamp": payload([], ts="0000-01-01T00:00:00+23:59"),
    "nul_strings": payload([{"dispositivo_codigo": "D\u000001", "valor": 1, "unidade": "k\u0000Wh"}]),
    "escapes": f'{{{head}, "leituras": [{{"dispositivo_codigo": "\\u0044\\u00e9\\ud83d\\ude00", "valor": 1}}]}}',
    "lone_surrogate": f'{{{head}, "leituras": [{{"dispositivo_codigo": "\\ud800", "valor": 1}}]}}',
    "duplicate_keys": f'{{{head}, "leituras": [], "leituras": [{{"dispositivo_codigo": "D01", "valor": 1, "valor": 2}}]}}',
    "nested_junk": f'{{{head}, "leituras": [{{"dispositivo_codigo": "D01", "valor": {{"a": [[[[{{}}]]]]}}, "x": [null, true]}}]}}',
    "deep": "[" * 200 + "]" * 200,
    "trailing": payload([]) + " x",
}
for name, p in payloads.items():
    write("telemetry_payload", name, p)

topics = [TOPIC, "tds_new/devices/AA-BB-CC-DD-EE-FF/telemetry", "tds_new/devices/aabb.ccdd.eeff/telemetry",
          "tds_new/devices/aabbccddeeff/telemetry", "tds_new/devices/not-a-mac/telemetry",
          "tds_new/devices/aa:bb:cc:dd:ee:ff/cert_update/ack", "tds_new/devices//telemetry",
          "tds_new/devices/aa:bb:cc:dd:ee:ff/x/telemetry", "", "tds_new/devices/ aa:bb:cc:dd:ee:ff /telemetry"]
for i, t in enumerate(topics):
    for name in ["spec", "not_utf8", "empty", "mac_mismatch"]:
        p = payloads[name]
        write("envelope", f"{i}_{name}", t.encode() + b"\n" + (p if isinstance(p, bytes) else p.encode()))
write("envelope", "oversized_spaces", TOPIC.encode() + b"\n" + b" " * 70000)

serials = ["4f1c2a0b9e8d7c6b5a49382716051423", "0x4F1C2A0B9E8D7C6B5A49382716051423",
           "4F:1C:2A:0B:9E:8D:7C:6B:5A:49:38:27:16:05:14:23", " 0X4f1c ", ":0x4f", "0x0x4f", "0x 4f"]
acks = [{"serial": s, "status": st, "detail": d} for s in serials
        for st, d in [("applied", "ok"), ("rolled_back", "could not connect")]]
acks += [{"serial": serials[0], "status": "applied", "detail": None, "renewal_id": "0192d3e4-5f60-7a8b-9c0d-1e2f3a4b5c6d"},
         {"serial": serials[0], "status": "rolled_back", "renewal_id": "not-a-uuid"},
         {"serial": serials[0], "status": "APPLIED"}, {"serial": serials[0]}, {"status": "applied"},
         {"serial": 12, "status": "applied"}, {"serial": serials[0], "status": "applied", "detail": 3},
         {"serial": "\u0000", "status": "applied\u0000"}]
for i, a in enumerate(acks):
    write("renewal_ack", f"ack_{i}", json.dumps(a, ensure_ascii=False))
write("renewal_ack", "not_json", "{serial")
write("renewal_ack", "array", '["x", "applied"]')

d = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="tds-csrs-")
if not any(f.endswith(".pem") for f in os.listdir(d)):
    make_csrs(d)
for f in sorted(os.listdir(d)):
    if not f.endswith(".pem"):
        continue
    name = f[:-4]
    pem = open(os.path.join(d, f)).read()
    b64 = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    der = base64.b64decode(b64)
    write("renewal_csr", f"{name}_json", b"\x00" + json.dumps({"renewal_id": None, "csr": pem}).encode())
    write("renewal_csr", f"{name}_pem", b"\x01" + pem.encode())
    write("renewal_csr", f"{name}_der", b"\x02" + der)
write("renewal_csr", "json_no_csr", b'\x00{"renewal_id": "0192d3e4-5f60-7a8b-9c0d-1e2f3a4b5c6d"}')
write("renewal_csr", "pem_garbage", b"\x01-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n")
# Finding 4: a refused request before an accepted one, the first BEGIN not at a line start.
for bad, good in [("p384", "p256"), ("rsa4096", "rsa2048"), ("ed25519", "p256")]:
    text = "x" + open(os.path.join(d, bad + ".pem")).read() + open(os.path.join(d, good + ".pem")).read()
    write("renewal_csr", f"pem_two_parsers_{bad}", b"\x01" + text.encode())
