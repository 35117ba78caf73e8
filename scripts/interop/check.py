#!/usr/bin/env python3
"""Self-check of the interop environment with Python's standard library only.

Proves that the servers started by start.sh work as the interop tests expect (submission with
STARTTLS and AUTH, a rejected recipient, delivery into Dovecot, POP3 with STLS and POP3S), so
that a failing interop test points at mailwire, not at the environment.
Usage: check.py [ENV_FILE]
"""
import os, poplib, smtplib, ssl, sys, time, uuid

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../target/interop/env")
env = dict(line.strip().split("=", 1) for line in open(path) if "=" in line)
get = lambda k: env["MAILWIRE_INTEROP_" + k]
host = get("HOST")
ctx = ssl.create_default_context(cafile=get("CA"))
user, password = get("USER2"), get("PASS2")
marker = "check-" + uuid.uuid4().hex

s = smtplib.SMTP(host, int(get("SUBMISSION_PORT")), local_hostname="check.test", timeout=20)
s.starttls(context=ctx)
s.login(user, password)
refused = s.sendmail(user, [user, "nobody@" + get("DOMAIN")], f"Subject: {marker}\r\n\r\nbody\r\n".encode())
s.quit()
assert list(refused) == ["nobody@" + get("DOMAIN")], refused

def find(p):
    p.user(user)
    p.pass_(password)
    count = p.stat()[0]
    found = [i for i in range(1, count + 1) if marker.encode() in b"\n".join(p.top(i, 0)[1])]
    for i in found:
        p.dele(i)
    p.quit()
    return found

for attempt in range(50):
    p = poplib.POP3_SSL(host, int(get("POP3S_PORT")), context=ctx, timeout=20)
    if find(p):
        break
    time.sleep(0.2)
else:
    sys.exit("interop check: the message never reached the mailbox")

p = poplib.POP3(host, int(get("POP3_PORT")), timeout=20)
assert "STLS" in p.capa()
p.stls(context=ctx)
p.user(user); p.pass_(password); p.stat(); p.quit()
print("interop check: submission+STARTTLS+AUTH, rejected recipient, delivery into Dovecot, POP3S, POP3+STLS: ok")
