#!/usr/bin/env bash
# Starts a private Postfix and Dovecot on 127.0.0.1 high ports for mailwire's interop tests.
#
#   scripts/interop/start.sh [STATE_DIR]    (default: target/interop under the repository)
#
# Installs the Debian packages when missing (apt-get, non-interactive; needs root), generates
# a CA and a leaf certificate signed by it, writes both daemons' configuration into STATE_DIR,
# starts them directly (there is no systemd), waits until every port answers, and writes
# STATE_DIR/env with the ports, users and CA path for the tests. `stop.sh` stops exactly what
# this started. Nothing listens outside the loopback network (127.0.0.1, and 127.0.0.2 for the
# plaintext-login refusal tests).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${1:-$repo/target/interop}
mkdir -p "$state"
state=$(cd "$state" && pwd)

# Ports (all on 127.0.0.1).
SMTP_PORT=10025        # Postfix, plain SMTP with optional STARTTLS, no AUTH (MX style)
SUBMISSION_PORT=10587  # Postfix, STARTTLS required, AUTH PLAIN/LOGIN after TLS
SMTPS_PORT=10465       # Postfix, implicit TLS, AUTH
LMTP_PORT=10024        # Dovecot LMTP (for LMTP interop; Postfix delivers with virtual(8))
POP3_PORT=10110        # Dovecot POP3 with STLS
POP3S_PORT=10995       # Dovecot POP3 over implicit TLS
IMAP_PORT=10143        # Dovecot IMAP with STARTTLS
IMAPS_PORT=10993       # Dovecot IMAP over implicit TLS
# Dovecot treats a client whose address equals its own as secure and then allows plaintext
# logins; POP3 and IMAP also listen on OTHER_HOST (same ports) so that a client connecting
# from 127.0.0.1 is a stranger there and sees the plaintext-login refusal (LOGINDISABLED).
OTHER_HOST=127.0.0.2
DOMAIN=mailwire.test

log() { printf 'interop: %s\n' "$*"; }

install_packages() {
  local missing=()
  command -v postfix >/dev/null || missing+=(postfix)
  command -v dovecot >/dev/null || missing+=(dovecot-core)
  [ -x /usr/lib/dovecot/pop3 ] || missing+=(dovecot-pop3d)
  [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
  [ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
  command -v openssl >/dev/null || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

make_certificates() {
  local d=$state/tls
  mkdir -p "$d"
  [ -f "$d/server.pem" ] && return 0
  log "generating a CA and a server certificate"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=mailwire interop CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,DNS:mail.%s,IP:127.0.0.1,IP:127.0.0.2\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$DOMAIN" > "$d/leaf.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/leaf.ext" -out "$d/server.pem" 2>/dev/null
  chmod 644 "$d"/*.pem "$d/server.key"
}

configure_dovecot() {
  local d=$state/dovecot
  mkdir -p "$d/run" "$d/mail"
  chown -R mail:mail "$d/mail"
  cat > "$d/users" <<USERS
alice@$DOMAIN:{PLAIN}alice-secret
bob@$DOMAIN:{PLAIN}bob-secret
USERS
  cat > "$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
instance_name = mailwire-interop
protocols = imap pop3 lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$state/tls/server.pem
ssl_key = <$state/tls/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:$d/mail/%d/%n
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$d/mail/%d/%n
}
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
    ssl = yes
  }
  inet_listener imap_other {
    address = $OTHER_HOST
    port = $IMAP_PORT
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = $POP3S_PORT
    ssl = yes
  }
  inet_listener pop3_other {
    address = $OTHER_HOST
    port = $POP3_PORT
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
CONF
  mkdir -p "$d/state"
}

configure_postfix() {
  local p=$state/postfix
  mkdir -p "$p/spool" "$p/data"
  chown postfix "$p/data"
  # Mailbox paths under Dovecot's mail tree (maildir:.../mail/%d/%n); the trailing slash
  # makes Postfix's virtual(8) agent write Maildir.
  cat > "$p/vmailbox" <<MAPS
alice@$DOMAIN $DOMAIN/alice/
bob@$DOMAIN $DOMAIN/bob/
MAPS
  cat > "$p/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $p/spool
data_directory = $p/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.254/32
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$p/vmailbox
# Postfix delivers with its own virtual(8) agent straight into the Maildirs Dovecot serves.
# (Dovecot 2.3's LMTP does not offer SMTPUTF8, so delivery over LMTP bounces SMTPUTF8 mail.)
virtual_transport = virtual
virtual_mailbox_base = $state/dovecot/mail
virtual_minimum_uid = $(id -u mail)
virtual_uid_maps = static:$(id -u mail)
virtual_gid_maps = static:$(id -g mail)
smtpd_banner = \$myhostname ESMTP
smtpd_tls_cert_file = $state/tls/server.pem
smtpd_tls_key_file = $state/tls/server.key
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = $state/dovecot/run/auth-client
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtputf8_enable = yes
message_size_limit = 20480000
maillog_file = $p/maillog
maillog_file_prefixes = $p
biff = no
CONF
  cat > "$p/master.cf" <<CONF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
}

wait_port() {
  local port=$1 host=${2:-127.0.0.1} i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "port $host:$port did not open"
  return 1
}

# A previous run in the same state directory is stopped first, so the script can be rerun.
bash "$repo/scripts/interop/stop.sh" "$state" >/dev/null 2>&1 || true

install_packages
make_certificates
configure_dovecot
configure_postfix

log "starting dovecot"
# The daemons must not inherit our stdout/stderr: a caller reading them through a pipe
# would otherwise wait for EOF until the daemons exit.
dovecot -c "$state/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1
log "starting postfix"
postfix -c "$state/postfix" start </dev/null >"$state/postfix-start.log" 2>&1 || {
  cat "$state/postfix-start.log";
  log "postfix failed to start:"; tail -n 20 "$state/postfix/maillog" 2>/dev/null; exit 1; }

for port in $SMTP_PORT $SUBMISSION_PORT $SMTPS_PORT $LMTP_PORT $POP3_PORT $POP3S_PORT $IMAP_PORT $IMAPS_PORT; do
  wait_port "$port"
done
wait_port "$POP3_PORT" "$OTHER_HOST"
wait_port "$IMAP_PORT" "$OTHER_HOST"

cat > "$state/env" <<ENV
MAILWIRE_INTEROP_HOST=127.0.0.1
MAILWIRE_INTEROP_DOMAIN=$DOMAIN
MAILWIRE_INTEROP_SMTP_PORT=$SMTP_PORT
MAILWIRE_INTEROP_SUBMISSION_PORT=$SUBMISSION_PORT
MAILWIRE_INTEROP_SMTPS_PORT=$SMTPS_PORT
MAILWIRE_INTEROP_POP3_PORT=$POP3_PORT
MAILWIRE_INTEROP_POP3S_PORT=$POP3S_PORT
MAILWIRE_INTEROP_IMAP_PORT=$IMAP_PORT
MAILWIRE_INTEROP_IMAPS_PORT=$IMAPS_PORT
MAILWIRE_INTEROP_OTHER_HOST=$OTHER_HOST
MAILWIRE_INTEROP_CA=$state/tls/ca.pem
MAILWIRE_INTEROP_USER1=alice@$DOMAIN
MAILWIRE_INTEROP_PASS1=alice-secret
MAILWIRE_INTEROP_USER2=bob@$DOMAIN
MAILWIRE_INTEROP_PASS2=bob-secret
MAILWIRE_INTEROP_TLS_NAME=localhost
ENV
log "ready: environment in $state/env"
