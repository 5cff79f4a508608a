#!/usr/bin/env python3
"""What fail2ban's own reader makes of filter files: the oracle the
fail2ban filter reader's tests compare with.

Usage: PYTHONPATH=<fail2ban package dir> fail2ban-filter-oracle.py FILE.conf...

For each filter file, for its default mode and every mode it declares (a
value V with a key PREFIX-V where PREFIX-<mode> is used), and for the log
types file and journal, prints one JSON line:
  {"path": ..., "options": {"mode": ..., "logtype": ...},
   "settings": {"failregex": ..., ...}}  or  {..., "error": "..."}
The settings are fail2ban's FilterReader.getCombined() values.
"""
import json
import os
import re
import sys

from fail2ban.client.configparserinc import SafeConfigParserWithIncludes
from fail2ban.client.filterreader import FilterReader

SETTINGS = ("prefregex", "failregex", "ignoreregex", "datepattern", "maxlines", "journalmatch")


def declared_modes(path):
    """Values V of keys PREFIX-V for each PREFIX-<mode> the file uses."""
    parser = SafeConfigParserWithIncludes()
    parser.read([path])
    raw = {}
    for section in parser.sections():
        for key in parser.options(section):
            raw[key] = parser.get(section, key, raw=True)
    prefixes = set()
    for value in raw.values():
        prefixes.update(re.findall(r"([\w-]+)-<mode>", value))
    return sorted({k[len(p) + 1:] for p in prefixes for k in raw if k.startswith(p + "-")})


def resolve(path, options):
    basedir = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    name = os.path.splitext(os.path.basename(path))[0]
    reader = FilterReader(name, "oracle", dict(options), share_config={}, basedir=basedir)
    if not reader.read():
        raise RuntimeError("cannot read")
    reader.applyAutoOptions("auto")
    reader.getOptions(None)
    combined = reader.getCombined()
    return {k: str(combined[k]) for k in SETTINGS if combined.get(k) is not None}


def main():
    for path in sys.argv[1:]:
        for mode in [None] + declared_modes(path):
            for logtype in (None, "journal"):
                options = {}
                if mode is not None:
                    options["mode"] = mode
                if logtype is not None:
                    options["logtype"] = logtype
                out = {"path": path, "options": options}
                try:
                    out["settings"] = resolve(path, options)
                except Exception as e:  # the reader refusing a file is a result too
                    out["error"] = f"{type(e).__name__}: {e}"
                print(json.dumps(out))


if __name__ == "__main__":
    main()
