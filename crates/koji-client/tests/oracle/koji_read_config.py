"""Oracle for tests/config_oracle.rs: the official koji client reads the
generated config trees and reports what it finds.

Usage: koji_read_config.py MANIFEST

The koji CLI script is taken from beside the interpreter (the venv's bin/koji).

MANIFEST has one tree per line, tab-separated:
    index, root, explicit user config (hex UTF-8, or "-"), profile names (hex, comma-separated)

Each tree has root/etc/koji.conf.d, root/etc/koji.conf and root/home.

How the real code is pointed at the tree, with as little faking as possible:
koji.read_config() hard-codes "/etc/koji.conf.d" and "/etc/koji.conf" and
expands "~" through $HOME. We set $HOME to root/home, and wrap
koji.read_config_files so that those two /etc paths become root/etc/...;
everything else (the file list and its order, strictness of -c, the real
ConfigParser, profile extraction, type conversion, cert/serverca defaults)
is koji's own code. The wrapper also keeps the parser it returns, to list
sections and the expanded items of a profile. CLI-level values (topdir
expansion, pkgurl -> topurl) come from the real CLI's get_options().

Output, one record per line (strings hex-encoded as UTF-8 with surrogateescape):
    T index
    S hex-section ...                   sections, when the files parse
    P hex-profile OK
    K key type hex-value                read_config() result; type s/n/b/i
    I hex-key hex-value                 ConfigParser.items(profile)
    C key type hex-value                get_options() values
    P hex-profile ERR class lineno hex-source hex-section hex-option hex-detail
"""

import configparser
import importlib.machinery
import importlib.util
import io
import os
import sys
import contextlib

import koji


def h(s):
    if s is None:
        return "-"
    return str(s).encode("utf-8", "surrogateescape").hex() or "="


def unh(s):
    if s == "-":
        return None
    if s == "=":
        return ""
    return bytes.fromhex(s).decode("utf-8", "surrogateescape")


def typed(value):
    if value is None:
        return "n", "-"
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, int):
        return "i", str(value)
    return "s", h(value)


REAL_READ_CONFIG_FILES = koji.read_config_files
STATE = {"root": None, "parser": None}


def remapped_read_config_files(config_files, raw=False):
    root = STATE["root"]
    mapping = {
        "/etc/koji.conf.d": os.path.join(root, "etc/koji.conf.d"),
        "/etc/koji.conf": os.path.join(root, "etc/koji.conf"),
    }
    remapped = []
    for entry in config_files:
        if isinstance(entry, (list, tuple)):
            remapped.append((mapping.get(entry[0], entry[0]),) + tuple(entry[1:]))
        else:
            remapped.append(mapping.get(entry, entry))
    parser = REAL_READ_CONFIG_FILES(remapped, raw)
    STATE["parser"] = parser
    return parser


koji.read_config_files = remapped_read_config_files


def load_cli(path):
    loader = importlib.machinery.SourceFileLoader("koji_cli_main", path)
    spec = importlib.util.spec_from_loader("koji_cli_main", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def error_record(exc):
    cls = type(exc).__name__
    lineno = getattr(exc, "lineno", None)
    source = getattr(exc, "source", None)
    section = getattr(exc, "section", None)
    option = getattr(exc, "option", None)
    detail = None
    if isinstance(exc, configparser.ParsingError) and not isinstance(
        exc, configparser.MissingSectionHeaderError
    ):
        lineno = exc.errors[0][0]
    if isinstance(exc, configparser.InterpolationMissingOptionError):
        detail = exc.reference
    elif isinstance(exc, (koji.ConfigurationError, ValueError)) and not isinstance(
        exc, UnicodeDecodeError
    ):
        detail = exc.args[0] if exc.args else ""
    if isinstance(exc, UnicodeDecodeError):
        lineno = None
    return "%s %s %s %s %s %s" % (
        cls,
        lineno if lineno is not None else "-",
        h(source),
        h(section),
        h(option),
        h(detail),
    )


def main():
    manifest = sys.argv[1]
    cli = load_cli(os.path.join(os.path.dirname(sys.executable), "koji"))
    out = sys.stdout
    for line in open(manifest, encoding="utf-8"):
        index, root, user_config, profiles = line.rstrip("\n").split("\t")
        user_config = unh(user_config)
        profiles = [unh(p) for p in profiles.split(",")]
        os.environ["HOME"] = os.path.join(root, "home")
        STATE["root"] = root
        out.write("T %s\n" % index)
        sections_written = False
        for profile in profiles:
            STATE["parser"] = None
            try:
                result = koji.read_config(profile, user_config=user_config)
            except Exception as exc:  # every failure is a result to compare
                parser = STATE["parser"]
                if parser is not None and not sections_written:
                    out.write("S %s\n" % " ".join(h(s) for s in parser.sections()))
                    sections_written = True
                out.write("P %s ERR %s\n" % (h(profile), error_record(exc)))
                continue
            parser = STATE["parser"]
            if not sections_written:
                out.write("S %s\n" % " ".join(h(s) for s in parser.sections()))
                sections_written = True
            out.write("P %s OK\n" % h(profile))
            for key in sorted(result):
                t, v = typed(result[key])
                out.write("K %s %s %s\n" % (key, t, v))
            for key, value in parser.items(profile):
                out.write("I %s %s\n" % (h(key), h(value)))
            argv = ["koji", "-p", profile]
            if user_config is not None:
                argv += ["-c", user_config]
            argv.append("hello")
            with contextlib.redirect_stderr(io.StringIO()):
                options, _, _ = cli.get_options(argv)
            for key in ("topdir", "topurl", "cert", "serverca"):
                t, v = typed(getattr(options, key))
                out.write("C %s %s %s\n" % (key, t, v))


if __name__ == "__main__":
    main()
