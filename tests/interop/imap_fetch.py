#!/usr/bin/env python3
"""Appends messages to a fresh IMAP mailbox and prints the server's FETCH responses.

    imap_fetch.py HOST PORT USER PASSWORD MESSAGE_FILE...

Logs in (plaintext, loopback only), creates a mailbox of its own, APPENDs every file in
order, runs FETCH 1:* (BODYSTRUCTURE ENVELOPE), deletes the mailbox and prints a JSON list
with one entry per message: the raw response octets (literals included, CRLF between a
literal's announcement and its data) as a lowercase hex string.
"""
import imaplib
import json
import os
import re
import sys
import time


def main():
    host, port, user, password = sys.argv[1:5]
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("imap_fetch: loopback only")
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
    finally:
        if conn.state == "SELECTED":
            conn.close()
        conn.delete(box)
        conn.logout()


if __name__ == "__main__":
    main()
