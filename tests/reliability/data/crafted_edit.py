#!/usr/bin/env python3
"""Crafts damaged or hostile backup files for tests/reliability/crafted_files.sh.

Every command works on a copy of a real chain directory, in place:

  crafted_edit.py resign CHAIN FILE            manifest entry of FILE gets FILE's real size and sha256
  crafted_edit.py garbage CHAIN FILE SEED      FILE replaced by as many random bytes (seeded)
  crafted_edit.py edit CHAIN FILE ACTION [ARG] the decompressed content of FILE edited, then stored
                                               again with the same compression (zstd by the CLI):
      header-lsn          the header's start_lsn moved 16 bytes on (the LSN the manifest has is kept)
      commit-lsn          the first transaction header's lsn= set below the previous commit
      append TEXT         TEXT after the trailer
      before-trailer TEXT TEXT on its own lines just before the trailer (between transactions)
      in-transaction TEXT TEXT on its own line right after the first BEGIN;
      in-statement TEXT   TEXT on its own line inside the first INSERT statement (after its VALUES keyword)
      nul                 a NUL byte right after the first BEGIN;
  crafted_edit.py zstd-frame CHAIN FILE        bytes 4..7 of the .zst file (the frame header) inverted
  crafted_edit.py flip CHAIN FILE WHERE        one byte of FILE as stored XOR 0x01, its size unchanged:
                                               WHERE is "middle", or TEXT: the byte right after the first
                                               TEXT (a plain file's "FROM stdin;\n": a digit of a row)
  crafted_edit.py manifest CHAIN KEY VALUE     KEY (dotted path, list indexes as numbers: diffs.0.file)
                                               set to VALUE (a JSON value) in manifest.json
  crafted_edit.py manifest-text CHAIN TEXT     manifest.json replaced by TEXT
  crafted_edit.py manifest-nested CHAIN DEPTH  manifest.json replaced by DEPTH nested JSON arrays

The manifest is rewritten only by `resign` and `manifest*`: an edit that
must be caught by the content checks alone is followed by `resign`.
"""
import hashlib
import json
import os
import random
import re
import subprocess
import sys


def path_of(chain, name):
    return os.path.join(chain, name)


def write_keep_owner(path, data):
    st = os.stat(path) if os.path.exists(path) else None
    with open(path, 'wb') as f:
        f.write(data)
    if st is not None:
        os.chown(path, st.st_uid, st.st_gid)
        os.chmod(path, st.st_mode & 0o7777)


def load_manifest(chain):
    with open(path_of(chain, 'manifest.json'), 'rb') as f:
        return json.loads(f.read())


def save_manifest(chain, doc):
    write_keep_owner(path_of(chain, 'manifest.json'), (json.dumps(doc, indent=2) + '\n').encode())


def entries(doc):
    yield doc['base']
    yield doc['globals']
    yield from doc['diffs']


def resign(chain, name):
    with open(path_of(chain, name), 'rb') as f:
        data = f.read()
    doc = load_manifest(chain)
    found = False
    for e in entries(doc):
        if e['file'] == name:
            e['bytes'] = len(data)
            e['sha256'] = hashlib.sha256(data).hexdigest()
            found = True
    if not found:
        sys.exit('no manifest entry for %s' % name)
    save_manifest(chain, doc)


def read_content(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if path.endswith('.zst'):
        return subprocess.run(['zstd', '-q', '-dc'], input=raw, stdout=subprocess.PIPE, check=True).stdout
    return raw


def write_content(path, text):
    if path.endswith('.zst'):
        text = subprocess.run(['zstd', '-q', '-c', '-3'], input=text, stdout=subprocess.PIPE, check=True).stdout
    write_keep_owner(path, text)


def lsn_parse(text):
    hi, lo = text.split('/')
    return (int(hi, 16) << 32) | int(lo, 16)


def lsn_text(value):
    return '%X/%X' % (value >> 32, value & 0xFFFFFFFF)


def edit(chain, name, action, arg):
    path = path_of(chain, name)
    text = read_content(path)
    if action == 'header-lsn':
        m = re.match(rb'(-- pg_scribe diff chain=\S+ start_lsn=)([0-9A-F]+/[0-9A-F]+)\n', text)
        if not m:
            sys.exit('no header in %s' % name)
        moved = lsn_text(lsn_parse(m.group(2).decode()) + 16).encode()
        text = m.group(1) + moved + b'\n' + text[m.end():]
    elif action == 'commit-lsn':
        m = re.search(rb'^(-- scribe xid=\d+ lsn=)([0-9A-F]+/[0-9A-F]+)( commit=)', text, re.M)
        if not m:
            sys.exit('no transaction header in %s' % name)
        text = text[:m.start(2)] + b'0/10' + text[m.end(2):]
    elif action == 'append':
        text = text + arg.encode() + b'\n'
    elif action == 'before-trailer':
        i = text.rfind(b'\n-- pg_scribe sealed ')
        if i < 0:
            sys.exit('no trailer in %s' % name)
        text = text[:i + 1] + arg.encode() + b'\n' + text[i + 1:]
    elif action == 'in-transaction':
        i = text.find(b'\nBEGIN;\n')
        if i < 0:
            sys.exit('no BEGIN; in %s' % name)
        i += len(b'\nBEGIN;\n')
        text = text[:i] + arg.encode() + b'\n' + text[i:]
    elif action == 'nul':
        i = text.find(b'\nBEGIN;\n')
        if i < 0:
            sys.exit('no BEGIN; in %s' % name)
        i += len(b'\nBEGIN;\n')
        text = text[:i] + b'\x00' + text[i:]
    elif action == 'in-statement':
        i = text.find(b') VALUES (')
        if i < 0:
            sys.exit('no INSERT in %s' % name)
        i += len(b') VALUES')
        text = text[:i] + b'\n' + arg.encode() + b'\n' + text[i:]
    else:
        sys.exit('unknown edit %s' % action)
    write_content(path, text)


def set_key(doc, key, value):
    parts = key.split('.')
    node = doc
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def main(argv):
    cmd = argv[1]
    chain = argv[2]
    if cmd == 'resign':
        resign(chain, argv[3])
    elif cmd == 'garbage':
        path = path_of(chain, argv[3])
        size = os.path.getsize(path)
        rng = random.Random(int(argv[4]))
        write_keep_owner(path, bytes(rng.getrandbits(8) for _ in range(size)))
    elif cmd == 'edit':
        edit(chain, argv[3], argv[4], argv[5] if len(argv) > 5 else '')
    elif cmd == 'zstd-frame':
        path = path_of(chain, argv[3])
        with open(path, 'rb') as f:
            data = bytearray(f.read())
        if data[:4] != b'\x28\xb5\x2f\xfd':
            sys.exit('%s is not a zstd frame' % argv[3])
        for i in range(4, min(8, len(data))):
            data[i] ^= 0xFF
        write_keep_owner(path, bytes(data))
    elif cmd == 'flip':
        path = path_of(chain, argv[3])
        with open(path, 'rb') as f:
            data = bytearray(f.read())
        if argv[4] == 'middle':
            at = len(data) // 2
        else:
            at = data.find(argv[4].encode())
            if at < 0:
                sys.exit('no %r in %s' % (argv[4], argv[3]))
            at += len(argv[4].encode())
        data[at] ^= 0x01
        write_keep_owner(path, bytes(data))
    elif cmd == 'manifest':
        doc = load_manifest(chain)
        set_key(doc, argv[3], json.loads(argv[4]))
        save_manifest(chain, doc)
    elif cmd == 'manifest-nested':
        depth = int(argv[3])
        write_keep_owner(path_of(chain, 'manifest.json'), b'[' * depth + b']' * depth)
    elif cmd == 'manifest-text':
        write_keep_owner(path_of(chain, 'manifest.json'), argv[3].encode())
    else:
        sys.exit('unknown command %s' % cmd)


if __name__ == '__main__':
    main(sys.argv)
