#!/usr/bin/env python3
"""Reference summaries from Python's email package, in the MIME summary format.

    python_summary.py CORPUS_DIR REF_DIR          write REF_DIR/<stem>.json for every file
    python_summary.py --compare OURS_DIR REF_DIR  compare field by field, print the results

Used by tests/python_differential.rs. Everything the format leaves to the parser (RFC 2047,
RFC 2231, addresses, dates, structure, transfer decoding) comes from the email package.
"""
import base64
import email
import email.policy
import email.utils
import hashlib
import json
import os
import re
import sys
from email import headerregistry
from email.errors import HeaderParseError

WS = re.compile(r"[\t\r\n ]+")


def norm(s):
    return WS.sub(" ", s).strip(" ")


def lossy(s):
    # raw octets (kept as surrogate escapes) read as UTF-8, ill-formed sequences as U+FFFD
    return s.encode("ascii", "surrogateescape").decode("utf-8", "replace")


def unstructured(raw):
    value = lossy(raw)
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    try:
        return norm(str(headerregistry.UnstructuredHeader.value_parser(value)))
    except Exception:  # noqa: BLE001 - a reference must never stop
        return norm(value)


def mailboxes(raw):
    if raw is None:
        return None
    value = lossy(raw)
    try:
        h = email.policy.default.header_factory("to", value)
        out = []
        for a in h.addresses:
            out.append([norm(a.display_name or ""), norm(a.addr_spec)])
        return out
    except Exception:  # noqa: BLE001
        return []


def date(raw):
    if raw is None:
        return None
    try:
        d = email.utils.parsedate_to_datetime(lossy(raw))
    except Exception:  # noqa: BLE001
        return None
    if d is None:
        return None
    return d.isoformat()


def content_type(part):
    return part.get_content_type()


def params(part):
    out = {}
    ps = part.get_params(header="content-type", unquote=True)
    if not ps:
        return out
    for k, v in ps[1:]:
        k = k.lower()
        if k in out:
            continue
        out[k] = norm_param(email.utils.collapse_rfc2231_value(v))
    return out


def norm_param(v):
    return lossy(v) if isinstance(v, str) else v


def cte(part):
    v = part.get("content-transfer-encoding")
    if v is None:
        return "7bit"
    return str(v).strip().lower()


def body(part):
    enc = cte(part)
    if enc in ("base64", "quoted-printable"):
        data = part.get_payload(decode=True)
    else:
        payload = part.get_payload(decode=False)
        if isinstance(payload, list):
            return None
        data = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else payload
    if data is None:
        data = b""
    return data


def walk(part, path, out):
    ct = content_type(part)
    entry = {
        "path": path,
        "content_type": ct,
        "params": params(part),
        "disposition": part.get_content_disposition(),
        "filename": None,
        "transfer_encoding": cte(part),
        "body_sha256": None,
        "body_len": None,
    }
    try:
        fn = part.get_filename()
        entry["filename"] = norm_param(fn) if fn is not None else None
    except Exception:  # noqa: BLE001
        pass
    out.append(entry)
    payload = part.get_payload()
    if part.is_multipart() and isinstance(payload, list):
        if ct.startswith("message/"):
            for inner in payload:
                inner_multi = inner.is_multipart() and inner.get_content_maintype() == "multipart"
                walk(inner, path + (".TEXT" if inner_multi else ".1"), out)
            return
        prefix = "" if path == "TEXT" else (path[: -len(".TEXT")] if path.endswith(".TEXT") else path)
        for i, child in enumerate(payload, 1):
            cp = str(i) if prefix == "" else f"{prefix}.{i}"
            child_multi = child.get_content_maintype() == "multipart" and child.is_multipart()
            walk(child, cp, out)
        return
    data = body(part)
    if data is not None:
        entry["body_sha256"] = hashlib.sha256(data).hexdigest()
        entry["body_len"] = len(data)


def summarize(data):
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    raw = msg._headers  # (name, raw value) in file order
    first = {}
    for name, value in raw:
        first.setdefault(name.lower(), value)
    top_multi = msg.get_content_maintype() == "multipart" and msg.is_multipart()
    parts = []
    walk(msg, "TEXT" if top_multi else "1", parts)
    return {
        "headers": [[n.lower(), unstructured(v)] for n, v in raw],
        "subject": unstructured(first["subject"]) if "subject" in first else None,
        "from": mailboxes(first.get("from")),
        "to": mailboxes(first.get("to")),
        "date": date(first.get("date")),
        "message_id": unstructured(first["message-id"]) if "message-id" in first else None,
        "parts": parts,
    }


FIELDS = ["headers", "subject", "from", "to", "date", "message_id", "parts"]


def compare(ours_dir, ref_dir):
    total = 0
    agree = 0
    per_field = {f: 0 for f in FIELDS}
    diffs = []
    for name in sorted(os.listdir(ref_dir)):
        ref = json.load(open(os.path.join(ref_dir, name), encoding="utf-8"))
        try:
            ours = json.load(open(os.path.join(ours_dir, name), encoding="utf-8"))
        except (OSError, ValueError) as e:
            diffs.append(f"{name}: unreadable ({e})")
            total += 1
            continue
        total += 1
        ok = True
        for f in FIELDS:
            if ours.get(f) == ref.get(f):
                per_field[f] += 1
            else:
                ok = False
                diffs.append(f"{name}: {f}\n  ours:   {json.dumps(ours.get(f), ensure_ascii=False)[:600]}\n  python: {json.dumps(ref.get(f), ensure_ascii=False)[:600]}")
        agree += ok
    for d in diffs:
        print(d)
    print("per field: " + ", ".join(f"{f} {per_field[f]}/{total}" for f in FIELDS))
    print(f"agree {agree}/{total}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
        return
    corpus, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        stem = os.path.splitext(name)[0]
        with open(os.path.join(out, stem + ".json"), "w", encoding="utf-8") as fh:
            json.dump(summarize(data), fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
