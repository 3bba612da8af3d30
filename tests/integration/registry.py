"""Integration tests register themselves here with a decorator; suite.py
runs what is registered.  A test's name is what the log prints and
run-suite --only takes."""
import collections
import functools

Test = collections.namedtuple("Test", "name module run")  # run(name) raises on failure

TESTS = []


def _register(name, module, run):
    if any(t.name == name for t in TESTS):
        raise ValueError("two integration tests named %s" % name)
    TESTS.append(Test(name, module, run))


def integration_test(fn):
    """Registers fn(name) as the test named after it less its test_ prefix."""
    if not fn.__name__.startswith("test_"):
        raise ValueError("integration test %s: its name must start with test_" % fn.__name__)
    _register(fn.__name__[len("test_"):], fn.__module__, fn)
    return fn


def scenario(on):
    """Registers fn(name, on=PLATFORM) once for each platform in on (a dict of
    test_zones' QEMU or BOCHS), named fn's name after the platform's
    name_prefix and listed with the platform's module."""
    def register(fn):
        for platform in on:
            _register(platform["name_prefix"] + fn.__name__, platform["listed_with"],
                      functools.partial(fn, on=platform))
        return fn
    return register
