"""moto server for `npm start` and the tests (see local/emulator.ts).

    python3 moto_server.py HOST PORT [STATE_FILE]

- One request at a time: `moto_server` serves requests on parallel threads and its DynamoDB then
  evaluates two racing condition expressions without a lock, so both writes can pass; DynamoDB
  itself never lets that happen. Serialized, the emulator keeps DynamoDB's atomicity (and loses
  little: moto is bound by Python's GIL anyway). Same WSGI app as `moto_server`.
- With STATE_FILE, the emulator's whole state survives a restart: every backend in use (tables,
  objects, KMS keys with their key material, secrets, logs, queues, stacks) is pickled into
  STATE_FILE a moment after requests that change something, at most every SAVE_INTERVAL seconds,
  and at SIGTERM/SIGINT; it is loaded at start. Requests are served one at a time, so each
  snapshot is consistent. Writes go to a temporary file renamed over the old one: a crash leaves
  the previous snapshot whole.
"""
import os
import pickle
import signal
import sys
import threading
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
state_file = sys.argv[3] if len(sys.argv) > 3 else ""
os.environ.setdefault("MOTO_PORT", str(port))

from moto.backends import get_backend  # noqa: E402
from moto.core.base_backend import BackendDict  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402

# Saved at most this often while requests keep changing state, and this long after the last one.
SAVE_INTERVAL = float(os.environ.get("RUNWAY_EMULATOR_SAVE_INTERVAL", "2"))
QUIET = 0.5

# Operations that only read (JSON and query protocols name them in X-Amz-Target or Action).
READ_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "Decrypt", "Encrypt", "GenerateDataKey", "Head", "Receive")

lock = threading.Lock()
dirty_since = 0.0
last_change = 0.0


def changes_state(environ):
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return False
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    operation = target.rsplit(".", 1)[-1] if target else ""
    if not operation:
        query = environ.get("QUERY_STRING", "")
        for part in query.split("&"):
            if part.startswith("Action="):
                operation = part[len("Action="):]
    return not operation.startswith(READ_PREFIXES)


PRIVATE_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, dsa.DSAPrivateKey, ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)
PUBLIC_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, dsa.DSAPublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


def private_key_from_pem(pem):
    return serialization.load_pem_private_key(pem, None)


def public_key_from_pem(pem):
    return serialization.load_pem_public_key(pem)


class StatePickler(pickle.Pickler):
    """Pickles the asymmetric keys moto holds (KMS, ACM), which `cryptography` cannot pickle, as PEM."""

    def reducer_override(self, obj):
        if isinstance(obj, PRIVATE_KEYS):
            pem = obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            return (private_key_from_pem, (pem,))
        if isinstance(obj, PUBLIC_KEYS):
            return (public_key_from_pem, (obj.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),))
        return NotImplemented


def snapshot():
    """Pickles every backend in use, in one dump so that objects shared between services stay shared."""
    seen = {}
    for backend_dict in BackendDict._instances:
        seen[backend_dict.service_name] = {account: dict(regions) for account, regions in backend_dict.items()}
    temporary = state_file + ".tmp"
    try:
        with open(temporary, "wb") as out:
            StatePickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(seen)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, state_file)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def restore():
    with open(state_file, "rb") as source:
        saved = pickle.load(source)
    for service, accounts in saved.items():
        try:
            backend_dict = get_backend(service)
        except Exception as error:  # a service this moto no longer has: its state is dropped, loudly
            print(f"[emulator] cannot restore {service}: {error}", file=sys.stderr)
            continue
        for account, regions in accounts.items():
            for region, backend in regions.items():
                backend_dict[account][region] = backend


def save_now():
    global dirty_since
    with lock:
        if dirty_since:
            started = time.monotonic()
            snapshot()
            dirty_since = 0.0
            print(f"[emulator] state saved in {(time.monotonic() - started) * 1000:.0f} ms", file=sys.stderr, flush=True)


def saver():
    while True:
        time.sleep(0.2)
        now = time.monotonic()
        if dirty_since and (now - last_change >= QUIET or now - dirty_since >= SAVE_INTERVAL):
            try:
                save_now()
            except Exception as error:
                print(f"[emulator] saving state failed: {error}", file=sys.stderr, flush=True)


app = DomainDispatcherApplication(create_backend_app)


def application(environ, start_response):
    global dirty_since, last_change
    with lock:
        response = app(environ, start_response)
        if state_file and changes_state(environ):
            last_change = time.monotonic()
            if not dirty_since:
                dirty_since = last_change
        return response


def stop(signum, _frame):
    if state_file:
        save_now()
    sys.exit(0)


if state_file:
    if os.path.exists(state_file):
        started = time.monotonic()
        try:
            restore()
            print(f"[emulator] state restored from {state_file} in {(time.monotonic() - started) * 1000:.0f} ms", file=sys.stderr, flush=True)
        except Exception as error:
            # A snapshot this moto cannot read (another moto version): kept aside, never lost, and said.
            aside = f"{state_file}.unreadable-{int(time.time())}"
            os.replace(state_file, aside)
            print(f"[emulator] cannot restore {state_file} ({type(error).__name__}: {error}); moved to {aside}, starting empty", file=sys.stderr, flush=True)
    threading.Thread(target=saver, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

run_simple(host, port, application, threaded=False, use_reloader=False)
