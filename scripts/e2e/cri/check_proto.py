#!/usr/bin/env python3
"""check_proto.py SUBSET.proto REAL_API.proto

Checks that every message, field and enum value of the CRI subset exists in the
real k8s.io/cri-api api.proto with the same number and type. Exit 1 on any mismatch.
(A maintenance aid: the e2e script does not run it.)"""
import re
import sys


def parse(path):
    """{(block, name): (number, type)} for top-level messages and enums."""
    text = re.sub(r"//[^\n]*", "", open(path).read())
    out = {}
    for kind, block, body in re.findall(r"\b(message|enum)\s+(\w+)\s*\{([^{}]*)\}", text):
        for decl in body.split(";"):
            decl = " ".join(decl.split())
            m = re.match(r"^(?:repeated )?(map<[^>]+>|[\w.]+) (\w+) = (\d+)$", decl)
            if m and kind == "message":
                out[(block, m.group(2))] = (int(m.group(3)), m.group(1).replace(" ", ""), "repeated" in decl)
                continue
            m = re.match(r"^(\w+) = (\d+)$", decl)
            if m and kind == "enum":
                out[(block, m.group(1))] = (int(m.group(2)), "enum", False)
    return out


def main():
    subset, real = parse(sys.argv[1]), parse(sys.argv[2])
    bad = 0
    for key, val in sorted(subset.items()):
        if real.get(key) != val:
            print("MISMATCH %s.%s: subset %s, real %s" % (key[0], key[1], val, real.get(key)))
            bad += 1
    print("%d fields/values checked, %d mismatches" % (len(subset), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
