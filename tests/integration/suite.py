"""The QEMU integration suite: every test boots the real image and reads its console."""
import time
import traceback

from harness import Boot, TestFailure, make_esp
import registry
import test_boot
import test_control
import test_agent_image
import test_audit
import test_images
import test_linux
import test_linux_direct
import test_network
import test_vmx
import test_zones

# Importing a module registers its tests (registry.py); the log lists them
# module by module in this order, by name within each.
MODULES = [test_boot, test_zones, test_linux, test_linux_direct, test_control, test_images,
           test_agent_image,
           test_network,
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


def run_all(only=()):
    passed = failed = 0
    for name, fn in selected(only):
        t0 = time.monotonic()
        try:
            fn(name)
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        except TestFailure as e:
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {name}: harness error\n{traceback.format_exc()}", flush=True)
    return passed, failed


__all__ = ["Boot", "make_esp", "run_all"]
