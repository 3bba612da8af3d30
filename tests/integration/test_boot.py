"""Foundation: UEFI -> loader -> hypervisor on every CPU; bad config; exceptions."""
import os

from harness import Boot, make_esp
from registry import integration_test
from zoneconf import conf, zone

VERSION_LINE = r"^zonevisor \d+\.\d+\.\d+ booting$"
READY = r"^zonevisor: ready \((\d+) cpus, (\d+) MiB free\)$"
BASE_CONF = conf()


def check_boot(name, smp):
    esp = make_esp(name, BASE_CONF)
    with Boot(name, esp, smp=smp, mem=1024) as b:
        b.expect(VERSION_LINE)
        b.expect(r"^memory map: \d+ ranges$")
        b.expect(r"^  usable +\d+ KiB in \d+ ranges$")
        b.expect(r"^  page allocator: \d+ MiB free")
        b.expect(r"^acpi: MADT lists %d cpus and 1 ioapics; ioapic 0 at 0xfec00000$" % smp)
        for n in range(smp):
            b.expect(r"^cpu %d online \(apic %d, svm\)$" % (n, n))
        m = b.expect(READY)
        if int(m.group(1)) != smp:
            b.fail(f"ready line counts {m.group(1)} cpus, expected {smp}")
        if not 700 < int(m.group(2)) < 1024:
            b.fail(f"implausible free memory {m.group(2)} MiB for -m 1024")
        if len(b.seen(r"^cpu \d+ online")) != smp:
            b.fail("wrong number of 'cpu N online' lines")
        if b.seen(r"SMT is on"):
            b.fail("SMT reported with one thread per core")
        b.expect(r"^zonevisor: powering off$")
        if b.wait_exit(30) != 0:
            b.fail("QEMU did not power off cleanly")


@integration_test
def test_boot_smp1(name):
    check_boot(name, 1)


@integration_test
def test_boot_smp4(name):
    check_boot(name, 4)


@integration_test
def test_smt_siblings_are_reported(name):
    """docs/security.md, "Speculative execution": two threads of one core
    would let zones share a core's predictors and buffers; the hypervisor
    says so at boot.  With one thread per core (check_boot) it does not."""
    esp = make_esp(name, BASE_CONF)
    with Boot(name, esp, smp="4,cores=2,threads=2", mem=1024) as b:
        b.expect(r"^zonevisor: warning: SMT is on \(cpus 0 and 1 are threads of one core\); "
                 r"turn it off in the firmware")
        b.expect(READY)
        b.expect(r"^zonevisor: powering off$")


@integration_test
def test_malformed_config_stops_boot(name):
    esp = make_esp(name, conf(on_idle=None, colour="blue"))
    with Boot(name, esp, smp=1) as b:
        b.expect(r"zonevisor loader: error: /zonevisor/zonevisor.conf: line 2: .*colour")
        b.expect(r"boot stopped; powering off")
        b.wait_exit(30)
        if b.seen(VERSION_LINE):
            b.fail("the hypervisor started despite a bad config")


@integration_test
def test_missing_hypervisor_stops_boot(name):
    esp = make_esp(name, BASE_CONF)
    os.remove(os.path.join(esp, "zonevisor", "hypervisor.elf"))
    with Boot(name, esp, smp=1) as b:
        b.expect(r"zonevisor loader: error: cannot open /zonevisor/hypervisor.elf on the ESP")
        b.wait_exit(30)


@integration_test
def test_corrupt_hypervisor_stops_boot(name):
    esp = make_esp(name, BASE_CONF)
    with open(os.path.join(esp, "zonevisor", "hypervisor.elf"), "wb") as f:
        f.write(b"not an elf file at all")
    with Boot(name, esp, smp=1) as b:
        b.expect(r"zonevisor loader: error: hypervisor.elf is not a 64-bit little-endian ELF")
        b.wait_exit(30)


def check_fault(name, kind, mnemonic, vector):
    esp = make_esp(name, conf(on_idle=None, debug_fault=kind))
    with Boot(name, esp, smp=2) as b:
        b.expect(READY)
        b.expect(r"^zonevisor: debug_fault: ")
        b.expect(r"^zonevisor: exception %s \(vector %d\) on cpu 0, error code 0x[0-9a-f]+$"
                 % (mnemonic, vector))
        m = b.expect(r"^  rip ([0-9a-f]{16})  cs 0008  rflags [0-9a-f]{16}$")
        if int(m.group(1), 16) == 0:
            b.fail("rip is zero in the dump")
        b.expect(r"^  rsp [0-9a-f]{16}  ss 0010  cr2 [0-9a-f]{16}$")
        for regs in (("rax", "rbx", "rcx"), ("rdx", "rsi", "rdi"), ("rbp", "r8 ", "r9 "),
                     ("r10", "r11", "r12"), ("r13", "r14", "r15"), ("cr0", "cr3", "cr4")):
            b.expect(r"^  " + "  ".join(r + r" [0-9a-f]{16}" for r in regs) + "$")
        b.expect(r"^zonevisor: cpu 0 halted$")
        return b


@integration_test
def test_exception_ud_dumps_registers(name):
    check_fault(name, "ud", "#UD", 6)


@integration_test
def test_exception_pf_dumps_registers(name):
    b = check_fault(name, "pf", "#PF", 14)
    if not b.seen(r"cr2 0000700000000000"):
        b.fail("cr2 does not hold the faulting address")


@integration_test
def test_exception_gp_dumps_registers(name):
    check_fault(name, "gp", "#GP", 13)


@integration_test
def test_cpu_without_svm_gets_clear_message(name):
    esp = make_esp(name, BASE_CONF)
    with Boot(name, esp, smp=2, cpu="EPYC,-svm") as b:
        b.expect(r"^cpu 0 online \(apic 0, no virtualization: no SVM \(CPUID 8000_0001 ECX.SVM = 0\)\)$")
        b.expect(r"^cpu 1 online \(apic 1, no virtualization: no SVM")
        b.expect(READY)
        b.wait_exit(30)


@integration_test
def test_missing_config_stops_boot(name):
    esp = make_esp(name, BASE_CONF)
    os.remove(os.path.join(esp, "zonevisor", "zonevisor.conf"))
    with Boot(name, esp, smp=1) as b:
        b.expect(r"zonevisor loader: error: cannot open /zonevisor/zonevisor.conf on the ESP")
        b.expect(r"boot stopped; powering off")
        b.wait_exit(30)


@integration_test
def test_missing_zone_image_stops_boot(name):
    esp = make_esp(name, conf(zone("a", image="nope.elf", memory="16M", cpu=1)))
    with Boot(name, esp, smp=2) as b:
        b.expect(r"zonevisor loader: error: cannot open /zonevisor/nope.elf on the ESP")
        b.wait_exit(30)
        if b.seen(VERSION_LINE):
            b.fail("the hypervisor started without the zone's image")
