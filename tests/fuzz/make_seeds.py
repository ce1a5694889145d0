#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/).

Seeds come from the shared fixtures (data in the formats real systems write)
and from the test suites' own inputs (the string literals of the YAML and
configuration tests), plus a few hand-written cases for the wire formats no
fixture records (the etcd watch stream). Inputs a fuzz run found (crash-*,
timeout-*, oom-*, leak-*, regress-*) are never touched: they are the
regression corpus. Run it again after adding fixtures; the snapshot seeds
need a build (sd-fuzz-snapshot-seeds), so they are written by
scripts/fuzz.sh --seeds.

Usage: make_seeds.py FIXTURES_DIR
"""
import base64
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(ROOT)
CORPUS = os.path.join(ROOT, "corpus")
MAX_SEED = 64 * 1024


def write(target, data, prefix=b""):
    data = prefix + data
    if len(data) > MAX_SEED:
        data = data[:MAX_SEED]
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def c_literals(path):
    """Adjacent C string literals joined, and raw strings, as bytes."""
    src = open(path, encoding="utf-8").read()
    out = []
    for m in re.finditer(r'R"([^(]*)\((.*?)\)\1"', src, re.S):
        out.append(m.group(2).encode())
    lit = r'"((?:[^"\\\n]|\\.)*)"'
    for m in re.finditer(r'(?:%s\s*)+' % lit, src):
        parts = re.findall(lit, m.group(0))
        text = "".join(parts)
        try:
            b = text.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("utf-8")
        except Exception:
            continue
        out.append(b)
    return out


def yamlish(b):
    return b.count(b"\n") >= 1 and b":" in b


def main():
    fixtures = sys.argv[1]
    files = []
    for dirpath, _, names in os.walk(fixtures):
        for n in sorted(names):
            if n != "README.md":
                files.append(os.path.join(dirpath, n))
    files.sort()
    read = lambda p: open(p, "rb").read()

    # Entry values: every fixture as a value, in each of the four encodings
    # (the first byte picks Json, Yaml, Text, Base64).
    for p in files:
        for enc in range(4):
            write("entry_value", read(p), bytes([enc]))
    for v in [b"[" * 600 + b"]" * 600, b'{"a":' * 10 + b"1" + b"}" * 10, b"\xff\xfe\x00binary", b"aGVsbG8=", b"- a\n- b: &x {c: 1}\n- *x\n"]:
        for enc in range(4):
            write("entry_value", v, bytes([enc]))

    # YAML documents: every YAML fixture and the YAML of the editor tests
    # (two leading bytes steer which value is edited and to what).
    yaml_docs = [read(p) for p in files if p.endswith((".yaml", ".yml", ".real", ".yaml.real"))]
    for t in ["providers/tst_yaml_editor.cpp", "providers/tst_yaml_provider.cpp", "contract/tst_contract_yaml.cpp"]:
        yaml_docs += [b for b in c_literals(os.path.join(TESTS, t)) if yamlish(b)]
    for i, doc in enumerate(yaml_docs):
        write("yaml_document", doc, bytes([i % 251, i % 7]))
    write("yaml_document", b"base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n", b"\x01\x00")

    # Configuration: the configuration tests' literals feed all three parsers
    # (each is a YAML file with ${VAR} references) and the expander.
    config_texts = []
    for t in ["tst_config_connections.cpp", "tst_config_worker.cpp", "tst_config_statemanagement.cpp",
              "tst_config_env.cpp", "tst_config_node.cpp", "tst_config_url.cpp"]:
        config_texts += c_literals(os.path.join(TESTS, "config", t))
    config_texts = [b.replace(b"@FIX@", fixtures.encode()) for b in config_texts]
    worker = [read(p) for p in files if p.endswith("worker.yml.real")]
    for b in config_texts:
        if yamlish(b):
            write("connections", b)
            write("state_management", b)
            write("worker_config", b)
        if b"$" in b:
            write("env_expander", b)
    for b in worker:
        write("worker_config", b)
        write("connections", b)
    for b in [b"${REDIS_HOST}:${REDIS_PORT:-6379}", b"${UNSET:?set it}", b"$${NOT}", b"${EMPTY-x}${NESTED}",
              b"${A:-${B:-${C:-deep}}}", b"redis://u:${REDIS_PASSWORD}@h/0"]:
        write("env_expander", b)

    # kubeconfig: the kubeconfig tests' YAML.
    for t in ["unit/tst_kube_config.cpp", "providers/tst_kube_credentials.cpp"]:
        for b in c_literals(os.path.join(TESTS, t)):
            if b"clusters" in b or b"contexts" in b or b"users" in b:
                write("kubeconfig", b)
    write("kubeconfig", b"""apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: abc
- name: e
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin
      args: [a, b]
      env: [{name: X, value: y}]
contexts:
- name: dev
  context: {cluster: c, user: u, namespace: ns}
- name: exec
  context: {cluster: c, user: e}
""")

    # Kubernetes watch: the recorded streams as they come over the wire (one
    # event a line), and every recorded error body as a Status.
    for p in files:
        if "kubernetes-api" not in p:
            continue
        rec = json.loads(read(p))
        resp = rec.get("response")
        if isinstance(resp, list):
            lines = b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in resp[1:])
            for sel in (0, 5, 36):
                write("kube_watch", lines, bytes([sel]))
        elif isinstance(rec.get("body"), dict) and rec["body"].get("kind") == "Status":
            body = json.dumps(rec["body"], separators=(",", ":")).encode()
            write("kube_watch", body, bytes([int(rec.get("status", 0)) % 251]))
            write("kube_watch", b'{"type":"ERROR","object":' + body + b"}\n", b"\x03")

    # etcd watch: the gateway's messages (grpc-gateway JSON of WatchResponse),
    # written here by hand: created, events, progress, compaction, cancel,
    # an error, one after another as the stream sends them.
    b64 = lambda s: base64.b64encode(s).decode()
    msgs = [
        {"result": {"header": {"cluster_id": "1", "member_id": "2", "revision": "7", "raft_term": "2"}, "created": True}},
        {"result": {"header": {"revision": "8"}, "events": [
            {"kv": {"key": b64(b"/app/a"), "create_revision": "8", "mod_revision": "8", "version": "1", "value": b64(b'{"x":1}')}},
            {"type": "DELETE", "kv": {"key": b64(b"/app/b"), "mod_revision": "8"}}]}},
        {"result": {"header": {"revision": "9"}, "events": [
            {"kv": {"key": b64(b"/app/c"), "create_revision": "3", "mod_revision": "9", "version": "4", "lease": "77", "value": b64(b"\xff\x00")}}]}},
        {"result": {"header": {"revision": "12"}}},
        {"result": {"header": {"revision": "12"}, "compact_revision": "10"}},
        {"result": {"header": {"revision": "12"}, "canceled": True, "cancel_reason": "mvcc: required revision has been compacted"}},
        {"error": {"grpc_code": 16, "http_code": 401, "message": "etcdserver: invalid auth token", "http_status": "Unauthorized", "code": 16}},
        {"result": {"header": {"revision": "9223372036854775807"}, "events": [{"kv": {"key": b64(b"/k"), "mod_revision": "9223372036854775807"}}]}},
    ]
    stream = b"".join(json.dumps(m, separators=(",", ":")).encode() + b"\n" for m in msgs)
    for sel in (0, 3, 36):
        write("etcd_watch", stream, bytes([sel]))
    for m in msgs:
        write("etcd_watch", json.dumps(m).encode(), b"\x01")

    xstate_seeds(files)


def xstate_seeds(files):
    """XState definitions: every StateMachine's spec.definition in the
    fixtures, the JSON literals of the registry tests (definitions, broken
    ones included), the registry's Redis values and RabbitMQ messages (JSON
    that is not a definition), and hand-written machines for the parts no
    fixture has (history, parallel regions, #id targets, the array forms)."""
    import yaml

    for p in files:
        if "xstatenet" not in p:
            continue
        data = open(p, "rb").read()
        if p.endswith((".yaml", ".yml", ".real")):
            try:
                docs = list(yaml.safe_load_all(data))
            except yaml.YAMLError:
                docs = []
            for doc in docs:
                spec = doc.get("spec") if isinstance(doc, dict) else None
                if isinstance(spec, dict) and isinstance(spec.get("definition"), str):
                    write("xstate_definition", spec["definition"].encode())
        elif p.endswith(".json"):
            dump = json.loads(data)
            for entry in dump.values():
                if isinstance(entry, dict):
                    for v in (entry.get("fields") or {}).values():
                        write("xstate_definition", v.encode())
        elif p.endswith(".jsonl"):
            for line in data.splitlines()[:8]:
                write("xstate_definition", line)
    for t in ["registry/tst_registry_definition.cpp", "registry/tst_registry_kube.cpp",
              "registry/tst_registry_redis.cpp"]:
        for b in c_literals(os.path.join(TESTS, t)):
            if b.lstrip().startswith((b"{", b"[")):
                write("xstate_definition", b)
    machines = [
        {"id": "h", "initial": "a", "states": {
            "a": {"initial": "x", "states": {"x": {"on": {"N": "y"}}, "y": {}, "hist": {"type": "history"}},
                  "on": {"BACK": "#h.a.hist", "OUT": ".x"}},
            "done": {"type": "final"}},
         "on": {"RESET": ".a"}},
        {"id": "p", "type": "parallel", "states": {
            "r1": {"initial": "a", "states": {"a": {"always": [{"target": "b", "cond": "ok"}, {"target": "a"}]}, "b": {}}},
            "r2": {"initial": "c", "states": {"c": {"after": [{"delay": 500, "target": "d"}, {"delay": "slow", "target": "c"}]},
                                              "d": {"onDone": "#p.r2.c"}}}}},
        {"id": "inv", "initial": "run", "states": {
            "run": {"invoke": [{"src": {"type": "svc"}, "onDone": {"target": "ok", "actions": ["a", {"type": "b"}]},
                                "onError": [{"target": "bad", "guard": {"type": "g"}}]}, {"src": "other"}],
                    "entry": [{"type": "start"}], "exit": "stop", "onEntry": "e", "onExit": ["x"],
                    "on": [{"event": "E", "target": ["ok"]}, {"event": "F"}]},
            "ok": {"type": "final"}, "bad": {}}},
        {"id": "quoted keys", "initial": "a b", "states": {"a b": {"on": {"\"q\"": "c\\d"}}, "c\\d": {"id": "cid"}}},
    ]
    deep = {}
    for i in range(70):  # past the 64 levels the parser takes
        deep = {"initial": "s", "states": {"s": deep}}
    deep["id"] = "deep"
    machines.append(deep)
    for m in machines:
        write("xstate_definition", json.dumps(m).encode())
    for b in [b'{"id":"v","initial":"a","states":{"a":{}}}', b"[" * 600 + b"]" * 600, b'{"id": 1e999}',
              b'{"processing":{"payment":"charging"}}', b'"ping"', b"#ping-pong.ping"]:
        write("xstate_definition", b)


if __name__ == "__main__":
    main()
