#!/usr/bin/env python3
"""Appends messages to a fresh IMAP mailbox and prints the server's FETCH responses.

    imap_fetch.py HOST PORT USER PASSWORD MESSAGE_FILE...
    imap_fetch.py HOST PORT USER PASSWORD --plan PLAN_FILE

Logs in (plaintext, loopback only), creates a mailbox of its own, APPENDs every message in
order, fetches, deletes the mailbox and prints what the server answered.

With message files: FETCH 1:* (BODYSTRUCTURE ENVELOPE), printed as a JSON list with one entry
per message: the raw response octets (literals included, CRLF between a literal's
announcement and its data) as a lowercase hex string.

With a plan (one line per message: the message file, then the sections to fetch,
tab-separated): one FETCH n (BODY.PEEK[section]) per section, printed as one line per
message: per section the octets in hex, tab-separated, `-` for NIL or a refused fetch.
"""
import imaplib
import json
import os
import re
import sys
import time


def structure(conn):
    """FETCH 1:* (BODYSTRUCTURE ENVELOPE) as a JSON list of hex responses."""
    typ, data = conn.fetch("1:*", "(BODYSTRUCTURE ENVELOPE)")
    if typ != "OK":
        sys.exit("imap_fetch: FETCH failed: %r" % (data,))
    # imaplib hands over a list of lines (without "* " and CRLF) and (line, literal)
    # pairs; the rest of a line after a literal comes as the next element and starts
    # with a space or ")", a new response with "<number> (".
    responses = []
    for item in data:
        line = item[0] + b"\r\n" + item[1] if isinstance(item, tuple) else item
        if responses and not re.match(rb"\d+ \(", line):
            responses[-1] += line
        else:
            responses.append(line)
    print(json.dumps([r.hex() for r in responses]))


def sections(conn, jobs):
    """One FETCH per planned section; a line of hex octets (or -) per message."""
    for i, job in enumerate(jobs, 1):
        vals = []
        for sec in job[1:]:
            typ, data = conn.fetch(str(i), "(BODY.PEEK[%s])" % sec)
            val = "-"
            for item in data if typ == "OK" else []:
                if isinstance(item, tuple):
                    val = item[1].hex()
                    break
                m = re.search(rb'\] "((?:[^"\\]|\\.)*)"\)$', item or b"")
                if m:
                    val = re.sub(rb"\\(.)", rb"\1", m.group(1)).hex()
                    break
            vals.append(val)
        print("\t".join(vals))


def main():
    host, port, user, password = sys.argv[1:5]
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("imap_fetch: loopback only")
    jobs = None
    if sys.argv[5:6] == ["--plan"]:
        with open(sys.argv[6], encoding="utf-8") as f:
            jobs = [line.rstrip("\n").split("\t") for line in f if line.strip()]
        files = [job[0] for job in jobs]
    else:
        files = sys.argv[5:]
    conn = imaplib.IMAP4(host, int(port))
    conn.login(user, password)
    box = "mw-structure-%d-%d" % (os.getpid(), time.monotonic_ns())
    typ, data = conn.create(box)
    if typ != "OK":
        sys.exit("imap_fetch: CREATE failed: %r" % (data,))
    try:
        for name in files:
            with open(name, "rb") as f:
                msg = f.read()
            typ, data = conn.append(box, None, None, msg)
            if typ != "OK":
                sys.exit("imap_fetch: APPEND %s failed: %r" % (name, data))
        conn.select(box)
        if jobs is None:
            structure(conn)
        else:
            sections(conn, jobs)
    finally:
        if conn.state == "SELECTED":
            conn.close()
        conn.delete(box)
        conn.logout()


if __name__ == "__main__":
    main()
