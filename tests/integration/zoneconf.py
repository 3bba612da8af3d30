"""zonevisor.conf text for the integration tests: the one builder every test
writes its configuration with (the format: tools/zonevisor.conf)."""

# The order a [zone] section lists its keys in.
ZONE_KEYS = ("control", "image", "initrd", "disk", "memory", "cpu", "args", "console", "after")


def zone(name, **keys):
    """A [zone NAME] section; a key given None is left out."""
    unknown = set(keys) - set(ZONE_KEYS)
    if unknown:
        raise ValueError("zone %s: no zone key %s" % (name, ", ".join(sorted(unknown))))
    return dict(keys, name=name)


def conf(*zones, on_idle="poweroff", **settings):
    """The whole file: the [zonevisor] section with settings in the order
    given, then the zones.  on_idle defaults to poweroff, so a boot ends once
    its zones have (the tests wait for the emulator to exit); on_idle=None
    leaves it out."""
    if on_idle is not None:
        settings = dict(on_idle=on_idle, **settings)
    text = "[zonevisor]\n" + "".join("%s = %s\n" % kv for kv in settings.items())
    for z in zones:
        text += "[zone %s]\n" % z["name"]
        text += "".join("%s = %s\n" % (k, z[k]) for k in ZONE_KEYS if z.get(k) is not None)
    return text
