"""Intel VMX with EPT under Bochs: its own boot and Linux tests.  The
vendor-neutral zone scenarios of test_zones.py run here too, as vmx_NAME:
those registered with @scenario(on=BOTH)."""
from harness import Boot, make_esp
from paths import kernel_release
from registry import integration_test
from zoneconf import conf
import test_linux as tl


@integration_test
def test_vmx_boot_every_cpu_online(name):
    esp = make_esp(name, conf())
    with Boot(name, esp, smp=2, mem=512, timeout=200, emu="bochs") as b:
        b.expect(r"^zonevisor \d+\.\d+\.\d+ booting$")
        b.expect(r"^acpi: none \(firmware installed no tables\); using the UEFI cpu list$")
        b.expect(r"^cpu 0 online \(apic 0, vmx\)$")
        b.expect(r"^cpu 1 online \(apic 1, vmx\)$")
        b.expect(r"^zonevisor: ready \(2 cpus, \d+ MiB free\)$")
        b.expect(r"^zonevisor: powering off$")


@integration_test
def test_vmx_linux_zone_with_two_vcpus(name):
    """The Debian kernel in a 2-vCPU zone on the VMX backend: interrupt
    injection and windows, the x2APIC and IOAPIC, and INIT/STARTUP into
    real mode (unrestricted guest).  About three minutes of Bochs."""
    esp = tl.agent_esp(name, tl.agent_zone("lin", "1,2", "nproc; uname -r; sh -c 'exit 5'"))
    with Boot(name, esp, smp=3, mem=1024, timeout=600, emu="bochs") as b:
        b.expect(r"^cpu 2 online \(apic 2, vmx\)$")
        b.expect(r"^zone lin: started \(cpu 1,2, 128 MiB\)$")
        b.expect(r"^zone lin: stopped \(exit status 5\)$")
        b.expect(r"^zones: all ended; pool (\d+) KiB free \((\d+) KiB before\)$")
        if tl.zone_output(b, "lin") != ["2", kernel_release()]:
            b.fail(f"zone lin printed {tl.zone_output(b, 'lin')}")
