#!/usr/bin/python3
"""Hostile JSON Lines for tests/hostile-stream.bats, written as raw bytes.

Usage: hostile_lines.py KIND [TIME]
  valid      events every stage accepts (keys ordered so that no line starts
             with '{"type":"error"' or '{"type":"vt"': stage-made events do)
  malformed  lines that are not a JSON object with a string "type": every
             stage must report and skip each one
  odd        objects (no "type" first) of known types whose known fields have the wrong type,
             are out of range, hold invalid UTF-8 or appear twice: snitch-store
             must skip each one; the others pass them on or skip them
  mixed      valid lines with a malformed one after each, ending in a
             truncated line without a newline; mixed-odd: the odd ones too
  between    the valid lines of mixed alone; between-odd: of mixed-odd
"""
import sys

DEEP = 100000


def valid(t):
    sha = "ab" * 32
    return [
        b'{"type":"flow","time":%d.5,"start":%d,"pid":4194303,"ppid":1,"uid":1000,"comm":"curl",'
        b'"exe":"/usr/bin/curl","cmdline":"curl https://example.com","dev":2049,"ino":42,'
        b'"parent":{"pid":1,"comm":"bash","exe":"/bin/bash","dev":2049,"ino":7,"cmdline":"bash"},'
        b'"netns":4026531840,"family":"ipv4","proto":"tcp","laddr":"10.0.0.2","lport":40000,'
        b'"raddr":"93.184.216.34","rport":443,"domain":"example.com","sent":100,"recv":2000,'
        b'"events":3,"sha256":"' % (t, t) + sha.encode() + b'","future_field":{"kept":[1,2.5,null]}}',
        b'{"time":%d.25,"type":"error","source":"snitch-trace","message":"lost 3 events","lost":3}' % t,
        b'{"type":"exec","time":%d.75,"pid":4194302,"ppid":1,"uid":0,"comm":"sh","exe":"/bin/sh",'
        b'"cmdline":"sh -c true","dev":2049,"ino":9,"sha256":"' % t + sha.encode() + b'"}',
        b'{"type":"from_the_future","time":%d,"whatever":[{"a":"\\u00e9\\ud83d\\ude00"}]}' % t,
        b'{"time":%d.5,"type":"vt","sha256":"' % t + sha.encode() +
        b'","malicious":0,"suspicious":0,"undetected":60,"harmless":0}',
        b'{"type":"flow","time":%d.5,"pid":4194301,"uid":0,"comm":"dig","exe":"/usr/bin/dig",'
        b'"cmdline":"dig","dev":2049,"ino":43,"family":"ipv6","proto":"udp","laddr":"::1","lport":5353,'
        b'"raddr":"::1","rport":53,"domain":"","sent":9223372036854775807,"recv":0,"events":1,'
        b'"sha256":"' % t + sha.encode() + b'"}',
    ]


def malformed():
    return [
        b'{"type":"flow","time":1,"pid":',
        b'{"type":"flow",\0"time":1}',
        b'\0\0\0\0',
        b'{"type":"flow","comm":"a\0b","time":1}',
        b'{"type":"flow","time":1,"x":' + b'[' * DEEP,
        b'{"type":42,"time":1}',
        b'{"time":1}',
        b'[1,2,3]',
        b'"flow"',
        b'{"type":"flow","time":1}}',
    ]


def odd():
    return [
        b'{"type":"flow","time":1e400,"pid":1}',
        b'{"type":"flow","time":1,"pid":-1,"sent":-1,"recv":-5}',
        b'{"type":"flow","time":1,"pid":1,"sent":18446744073709551616}',
        b'{"type":"flow","time":1,"pid":1,"recv":99999999999999999999999}',
        b'{"type":"flow","time":1,"pid":1,"sent":18446744073709551615}',
        b'{"type":"flow","time":1,"pid":1,"rport":70000}',
        b'{"type":"flow","time":"now","pid":1}',
        b'{"type":"flow","time":1,"pid":"42"}',
        b'{"type":"flow","time":1,"comm":{"a":1}}',
        b'{"type":"flow","time":1,"exe":["x"]}',
        b'{"type":"flow","time":1,"cmdline":null}',
        b'{"type":"flow","time":1,"comm":"\\ud800"}',
        b'{"type":"flow","time":1,"comm":"\xff\xfe"}',
        b'{"type":"flow","time":1,"sent":"lots"}',
        b'{"type":"flow","time":1,"parent":"x"}',
        b'{"type":"flow","time":1,"sha256":123}',
        b'{"type":"flow","time":1,"x":' + b'[' * DEEP + b']' * DEEP + b',"pid":1.5}',
        b'{"time":1,"type":"vt","sha256":{"x":1}}',
        b'{"time":null,"type":"error","source":1,"message":["x"]}',
        b'{"type":"exec","time":1e308,"pid":1.5e10}',
        b'{"type":"flow","time":1,"pid":1,"sent":1,"sent":2,"sha256":"a","sha256":"b"}',
        b'{"type":"flow","time":1,"parent":{"pid":1,"exe":"/a","exe":"/b"}}',
    ]


def between(t, bad):
    """The valid lines that mixed() puts around the bad ones, alone."""
    v = valid(t)
    return [v[i % len(v)] for i in range(len(bad))] + v


def mixed(t, bad):
    good, out = between(t, bad), []
    for i, line in enumerate(bad):
        out += [good[i], line]
    out += good[len(bad):]
    return b"\n".join(out) + b'\n{"type":"flow","time":1,"comm":"trunc'


def main():
    kind = sys.argv[1]
    t = int(sys.argv[2]) if len(sys.argv) > 2 else 1795000000
    bad = malformed() + (odd() if kind.endswith("-odd") else [])
    if kind.startswith("mixed"):
        sys.stdout.buffer.write(mixed(t, bad))
        return
    if kind.startswith("between"):
        lines = between(t, bad)
    else:
        lines = {"valid": lambda: valid(t), "malformed": malformed, "odd": odd}[kind]()
    sys.stdout.buffer.write(b"".join(line + b"\n" for line in lines))


if __name__ == "__main__":
    main()
