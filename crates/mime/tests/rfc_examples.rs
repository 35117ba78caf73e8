//! Known-answer tests from the RFCs' own example messages: RFC 5322 appendix A, RFC 2046
//! 5.1.1, RFC 2047 section 8, RFC 2231 and RFC 2049 appendix A (shortened).

use mailwire_mime::{Address, Message};

fn names(list: &[Address]) -> Vec<(Option<String>, String)> {
    list.iter().flat_map(Address::mailboxes).map(|m| (m.name.clone(), m.address.clone())).collect()
}

#[test]
fn rfc5322_a_1_1_simple_addressing() {
    let m = b"From: John Doe <jdoe@machine.example>\r\nTo: Mary Smith <mary@example.net>\r\n\
Subject: Saying Hello\r\nDate: Fri, 21 Nov 1997 09:55:06 -0600\r\nMessage-ID: <1234@local.machine.example>\r\n\r\n\
This is a message just to say hello.\r\nSo, \"Hello\".\r\n";
    let msg = Message::parse(&m[..]);
    let r = msg.root();
    assert_eq!(
        names(&r.from().unwrap()),
        [(Some("John Doe".into()), "jdoe@machine.example".into())]
    );
    assert_eq!(names(&r.to().unwrap()), [(Some("Mary Smith".into()), "mary@example.net".into())]);
    assert_eq!(r.subject().as_deref(), Some("Saying Hello"));
    assert_eq!(r.date().unwrap().to_iso8601(), "1997-11-21T09:55:06-06:00");
    assert_eq!(r.message_id().as_deref(), Some("<1234@local.machine.example>"));
    assert_eq!(r.body_raw(), b"This is a message just to say hello.\r\nSo, \"Hello\".\r\n");
    assert_eq!(r.body_lines(), 2);
    assert!(msg.diagnostics().is_empty());
}

#[test]
fn rfc5322_a_1_2_and_a_1_3_groups_and_lists() {
    let m = b"From: \"Joe Q. Public\" <john.q.public@example.com>\r\n\
To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\r\n\
Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>\r\n\
Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <5678.21-Nov-1997@example.com>\r\n\r\nHi everyone.\r\n";
    let msg = Message::parse(&m[..]);
    let r = msg.root();
    assert_eq!(names(&r.to().unwrap()).len(), 3);
    assert_eq!(
        names(&r.cc().unwrap())[1],
        (Some("Giant; \"Big\" Box".into()), "sysservices@example.net".into())
    );
    let m = b"From: Pete <pete@silly.example>\r\nTo: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\r\n\
Cc: Undisclosed recipients:;\r\nDate: Thu, 13 Feb 1969 23:32:54 -0330\r\nMessage-ID: <testabcd.1234@silly.example>\r\n\r\nTesting.\r\n";
    let msg = Message::parse(&m[..]);
    let r = msg.root();
    assert!(
        matches!(&r.to().unwrap()[0], Address::Group { name, members } if name == "A Group" && members.len() == 3)
    );
    assert!(matches!(&r.cc().unwrap()[0], Address::Group { members, .. } if members.is_empty()));
    assert_eq!(r.date().unwrap().to_iso8601(), "1969-02-13T23:32:54-03:30");
}

#[test]
fn rfc5322_a_2_reply_and_a_4_trace() {
    let m = b"Received: from x.y.test\r\n   by example.net\r\n   via TCP\r\n   with ESMTP\r\n   id ABC12345\r\n   for <mary@example.net>;\
  21 Nov 1997 10:05:43 -0600\r\n\
Received: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600\r\n\
From: Mary Smith <mary@example.net>\r\nTo: John Doe <jdoe@machine.example>\r\n\
Reply-To: \"Mary Smith: Personal Account\" <smith@home.example>\r\nSubject: Re: Saying Hello\r\n\
Date: Fri, 21 Nov 1997 10:01:10 -0600\r\nMessage-ID: <3456@example.net>\r\nIn-Reply-To: <1234@local.machine.example>\r\n\
References: <1234@local.machine.example>\r\n\r\nThis is a reply to your hello.\r\n";
    let msg = Message::parse(&m[..]);
    let r = msg.root();
    let rec = r.received();
    assert_eq!(rec.len(), 2);
    assert_eq!(rec[0].clause("id"), Some("ABC12345"));
    assert_eq!(rec[1].date.unwrap().to_iso8601(), "1997-11-21T10:01:22-06:00");
    assert_eq!(names(&r.reply_to().unwrap())[0].0.as_deref(), Some("Mary Smith: Personal Account"));
    assert_eq!(r.in_reply_to(), ["<1234@local.machine.example>"]);
    assert_eq!(r.references(), ["<1234@local.machine.example>"]);
}

#[test]
fn rfc5322_a_5_white_space_comments_and_a_6_obsolete() {
    let m = b"From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\r\n\
To:A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n         joe@example.org,\r\n  \
John <jdoe@one.test> (my dear friend); (the end of the group)\r\nCc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\r\n\
Date: Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)\r\n\
Message-ID:              <testabcd.1234@silly.test>\r\n\r\nTesting.\r\n";
    let msg = Message::parse(&m[..]);
    let r = msg.root();
    assert_eq!(names(&r.from().unwrap()), [(Some("Pete".into()), "pete@silly.test".into())]);
    let to = r.to().unwrap();
    assert!(
        matches!(&to[0], Address::Group { name, members } if name == "A Group" && members.len() == 3)
    );
    assert_eq!(to[0].mailboxes()[0].address, "c@public.example");
    assert!(
        matches!(&r.cc().unwrap()[0], Address::Group { name, members } if name == "Hidden recipients" && members.is_empty())
    );
    assert_eq!(r.date().unwrap().to_iso8601(), "1969-02-13T23:32:00-03:30");
    assert_eq!(r.message_id().as_deref(), Some("<testabcd.1234@silly.test>"));
    // A.6.1 obsolete list syntax, A.6.2 obsolete dates
    let m = b"From: Joe Q. Public <john.q.public@example.com>\r\nTo: Mary Smith <@node.test:mary@example.net>, , jdoe@test   . example\r\n\
Date: Thu, 13 Feb 69 23:32 -0330\r\nMessage-ID: <1234   @   local(blah)  .machine .example>\r\n\r\nx\r\n";
    let msg = Message::parse(&m[..]);
    let r = msg.root();
    assert_eq!(
        names(&r.to().unwrap()),
        [
            (Some("Mary Smith".into()), "mary@example.net".into()),
            (None, "jdoe@test.example".into())
        ]
    );
    assert_eq!(r.date().unwrap().to_iso8601(), "1969-02-13T23:32:00-03:30");
    let m = b"Date: 21 Nov 97 09:55:06 GMT\r\n\r\n";
    assert_eq!(
        Message::parse(&m[..]).root().date().unwrap().to_iso8601(),
        "1997-11-21T09:55:06+00:00"
    );
}

#[test]
fn rfc2049_appendix_a_shortened() {
    let m = b"MIME-Version: 1.0\r\nFrom: Nathaniel Borenstein <nsb@nsb.fv.com>\r\n\
To: Ned Freed <ned@innosoft.com>\r\nDate: Fri, 07 Oct 1994 16:15:05 -0700 (PDT)\r\nSubject: A multipart example\r\n\
Content-Type: multipart/mixed;\r\n              boundary=unique-boundary-1\r\n\r\n\
This is the preamble area of a multipart message.\r\n\r\n--unique-boundary-1\r\n\r\n  ... Some text appears here ...\r\n\r\n\
--unique-boundary-1\r\nContent-type: text/plain; charset=US-ASCII\r\n\r\nThis could have been part of the previous part.\r\n\r\n\
--unique-boundary-1\r\nContent-Type: multipart/parallel; boundary=unique-boundary-2\r\n\r\n--unique-boundary-2\r\n\
Content-Type: audio/basic\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n\r\n--unique-boundary-2\r\n\
Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/\r\n--unique-boundary-2--\r\n\r\n\
--unique-boundary-1\r\nContent-type: text/enriched\r\n\r\nThis is <bold><italic>enriched.</italic></bold>\r\n\r\n\
--unique-boundary-1\r\nContent-Type: message/rfc822\r\n\r\nFrom: (mailbox in US-ASCII)\r\nTo: (address in US-ASCII)\r\n\
Subject: (subject in US-ASCII)\r\nContent-Type: Text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: Quoted-printable\r\n\r\n\
  ... Additional text in ISO-8859-1 goes here ...=E9\r\n\r\n--unique-boundary-1--\r\n";
    let msg = Message::parse(&m[..]);
    let paths: Vec<String> = msg.parts().map(|p| p.section_path()).collect();
    assert_eq!(paths, ["TEXT", "1", "2", "3", "3.1", "3.2", "4", "5", "5.1"]);
    let parts: Vec<_> = msg.parts().collect();
    assert_eq!(&parts[4].decoded_body()[..], &[0, 1, 2]);
    assert_eq!(&parts[5].decoded_body()[..], &[0xff, 0xd8, 0xff]);
    assert!(parts[8].text().unwrap().ends_with("goes here ...\u{e9}\r\n"));
    assert_eq!(msg.root().mime_version(), Some((1, 0)));
    assert!(msg.diagnostics().is_empty(), "{:?}", msg.diagnostics());
    assert_eq!(msg.to_bytes(), &m[..]);
}
