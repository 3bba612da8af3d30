"""The QEMU integration suite: every test boots the real image and reads its console."""
import os
import time
import traceback

from harness import Boot, TestFailure, make_esp
from paths import LOGS
import registry
import test_boot
import test_control
import test_agent_image
import test_audit
import test_images
import test_linux
import test_linux_direct
import test_network
import test_sessions
import test_vmx
import test_zones

# Importing a module registers its tests (registry.py); the log lists them
# module by module in this order, by name within each.
MODULES = [test_boot, test_zones, test_linux, test_linux_direct, test_control, test_images,
           test_agent_image,
           test_network,
           test_sessions,
           test_audit,
           test_vmx]


def all_tests():
    order = [m.__name__ for m in MODULES]
    for t in sorted(registry.TESTS, key=lambda t: (order.index(t.module), t.name)):
        yield t.name, t.run


def selected(only=()):
    """The tests run_all runs, in its order: all of them, or those named in only."""
    return [(name, fn) for name, fn in all_tests() if not only or name in only]


def selected_names(only=()):
    return [name for name, _ in selected(only)]


# QEMU 7.2's TCG now and then saves the host's own state as a zone's after a
# #VMEXIT (docs/testing.md, "A TCG fault"); the SVM backend detects it and
# stops that zone with this line.  A test that fails so is run once more,
# and says so: a second failure, or any other, counts.
TCG_FAULT = "saved the host's state as the guest's"


def tcg_fault(name):
    try:
        with open(os.path.join(LOGS, name + ".log"), errors="replace") as f:
            return TCG_FAULT in f.read()
    except OSError:
        return False


def run_one(name, fn):
    """None if it passed, else why it failed."""
    try:
        fn(name)
        return None
    except TestFailure as e:
        return str(e)
    except Exception:
        return "harness error\n" + traceback.format_exc()


def run_all(only=()):
    passed = failed = 0
    for name, fn in selected(only):
        t0 = time.monotonic()
        why = run_one(name, fn)
        if why is not None and tcg_fault(name):
            kept = os.path.join(LOGS, name + ".tcg-fault.log")
            os.replace(os.path.join(LOGS, name + ".log"), kept)
            print(f"RETRY {name}: QEMU's TCG saved the host's state as a zone's "
                  f"(docs/testing.md; log kept in {kept}); running it once more", flush=True)
            why = run_one(name, fn)
        if why is None:
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}: {why}", flush=True)
    return passed, failed


__all__ = ["Boot", "make_esp", "run_all"]
