"""Issue 18: images in the hypervisor's pool, loaded, listed and removed with zonectl from
the control zone (no zone runs on them here: that needs the virtio-blk device)."""
import re

from harness import Boot
from registry import integration_test
from test_control import Session, control_esp, pool_free


@integration_test
def test_zonectl_loads_lists_and_removes_images(name):
    with Boot(name, esp=control_esp(name), smp=2, mem=2048, timeout=400) as b:
        s = Session(b)
        before = pool_free(s)
        # random blocks, then zero blocks the store does not allocate
        s.must("dd if=/dev/urandom of=/tmp/Base.Img bs=4096 count=300 2>/dev/null && "
               "dd if=/dev/zero bs=4096 count=200 2>/dev/null >>/tmp/Base.Img && "
               "cp /tmp/Base.Img /tmp/copy.img && "
               "dd if=/dev/urandom bs=1000 count=1 2>/dev/null >>/tmp/copy.img")
        out = s.must("zonectl image load /tmp/Base.Img")
        s.has(out, r"^base sha256:[0-9a-f]{64}$", "image load's digest")
        digest = next(m.group(1) for m in (re.search(r"^base sha256:([0-9a-f]{64})$", l)
                                           for l in out) if m)
        out = s.must("sha256sum /tmp/Base.Img")
        s.has(out, "^%s " % digest, "sha256sum agrees with the hypervisor's digest")
        out = s.must("zonectl image ls")
        s.has(out, r"^base\s+2\.0MiB\s+%s\s+0$" % digest, "image ls")
        out = s.must("zonectl image ls --json")
        s.has(out, r'"name": "base", "size": 2048000, "sha256": "%s", "users": 0, '
              r'"pool_bytes": %d' % (digest, (1 + 2 + 300) * 4096), "image ls --json")
        refused = [
            ("zonectl image load /tmp/Base.Img --name other", r"already loaded as base"),
            ("zonectl image load /tmp/Base.Img", r"an image named base is loaded"),
            ("zonectl image load /tmp/copy.img --name 'Bad!'", r"--name"),
            ("zonectl image rm nosuch", r"no image named nosuch"),
            ("zonectl run --image nosuch -- true", r"no image named nosuch"),
            ("zonectl workspace export nosuch /tmp/out", r"no zone named nosuch"),
        ]
        for command, pattern in refused:
            status, out = s.run(command)
            if status == 0:
                b.fail("`%s` succeeded" % command)
            s.has(out, pattern, command)
        s.must("zonectl image load /tmp/copy.img")  # one byte more: another image
        out = s.must("zonectl image ls")
        s.has(out, r"^copy\s", "a second image")
        s.must("zonectl image rm base")
        s.must("zonectl image rm copy")
        out = s.must("zonectl image ls --json")
        s.has(out, r"^\[\]$", "no image left")
        after = pool_free(s)
        if before != after:
            b.fail("pool free %d bytes before the images, %d after" % (before, after))
