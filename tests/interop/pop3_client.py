#!/usr/bin/env python3
"""Python's poplib as a client of a POP3 server, for mailwire's interop tests.

usage: pop3_client.py HOST PORT CA_FILE USER PASSWORD LOGIN OUT_DIR [--delete]

STLS (certificate checked against CA_FILE for the name "localhost"), then LOGIN: "user"
(USER/PASS) or "plain" (AUTH PLAIN with an initial response). Retrieves every message and
deletes it with --delete. Writes message N (CRLF line endings restored) to OUT_DIR/N.eml and
prints one line per fact on stdout: the capabilities before and after STLS (`before_tls ...`,
`after_tls ...`), the answer to USER before STLS (`plaintext_user ...`), the login reply (`login ...`), the UIDL listing (`uidl N UID`), each message
(`message N OCTETS`) and the QUIT reply (`quit ...`). Every wait is bounded by a 20 s socket
timeout.
"""
import base64
import os
import poplib
import ssl
import sys


def main():
    host, port, ca, user, password, login, out_dir = sys.argv[1:8]
    delete = "--delete" in sys.argv[8:]

    def say(*words):
        print(" ".join(str(w) for w in words), flush=True)

    context = ssl.create_default_context(cafile=ca)
    context.check_hostname = True
    p = poplib.POP3(host, int(port), timeout=20)
    p.host = "localhost"  # the name the certificate must carry
    say("before_tls", *sorted(p.capa()))
    try:
        say("plaintext_user", p.user(user).decode())
    except poplib.error_proto as e:
        say("plaintext_user", e.args[0].decode(errors="replace"))
    p.stls(context=context)
    say("after_tls", *sorted(p.capa()))
    if login == "user":
        p.user(user)
        say("login", p.pass_(password).decode())
    else:
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        say("login", p._shortcmd("AUTH PLAIN " + token).decode())
    for line in p.uidl()[1]:
        say("uidl", line.decode())
    count, _ = p.stat()
    for n in range(1, count + 1):
        _, lines, _ = p.retr(n)
        message = b"\r\n".join(lines) + b"\r\n"
        with open(os.path.join(out_dir, "%d.eml" % n), "wb") as f:
            f.write(message)
        say("message", n, len(message))
        if delete:
            p.dele(n)
    say("quit", p.quit().decode())


if __name__ == "__main__":
    main()
