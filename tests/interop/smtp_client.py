#!/usr/bin/env python3
"""Python's smtplib as a client of an SMTP server, for mailwire's interop tests.

usage: smtp_client.py HOST PORT CA_FILE USER PASSWORD MECHANISM JOB_FILE

STARTTLS (certificate checked against CA_FILE for the name "localhost"), then AUTH with
MECHANISM (PLAIN or LOGIN), then one transaction per job. JOB_FILE is JSON: a list of
{"from": ..., "to": [...], "options": [...], "message": PATH}. Prints one line per fact on
stdout: the EHLO keywords before and after STARTTLS (`before_tls ...`, `after_tls ...`), the
AUTH reply (`auth CODE TEXT`) and, per job N, each refused recipient (`job N refused RCPT CODE
TEXT`) and the final reply (`job N data CODE TEXT`). Every wait is bounded by a 20 s socket
timeout.
"""
import json
import smtplib
import ssl
import sys


def main():
    host, port, ca, user, password, mechanism, jobs = sys.argv[1:8]
    context = ssl.create_default_context(cafile=ca)
    def say(*words):
        print(" ".join(str(w) for w in words), flush=True)

    with smtplib.SMTP(host, int(port), local_hostname="client.example", timeout=20) as s:
        s._host = "localhost"  # the name the certificate must carry
        s.ehlo()
        say("before_tls", *sorted(k.upper() for k in s.esmtp_features))
        s.starttls(context=context)
        s.ehlo()
        say("after_tls", *sorted(k.upper() for k in s.esmtp_features))
        if mechanism == "PLAIN":
            s.user, s.password = user, password
            code, reply = s.auth("PLAIN", s.auth_plain)
        else:
            s.user, s.password = user, password
            code, reply = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        say("auth", code, reply.decode())
        with open(jobs) as f:
            jobs = json.load(f)
        for n, job in enumerate(jobs):
            with open(job["message"], "rb") as f:
                message = f.read()
            s.mail(job["from"], job.get("options", []))
            for rcpt in job["to"]:
                code, reply = s.rcpt(rcpt)
                if code // 100 != 2:
                    say("job", n, "refused", rcpt, code, reply.decode(errors="replace"))
            code, reply = s.data(message)
            say("job", n, "data", code, reply.decode(errors="replace"))
            s.command_encoding = "ascii"


if __name__ == "__main__":
    main()
