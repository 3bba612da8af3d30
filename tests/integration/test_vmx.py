"""Intel VMX with EPT under Bochs: the vendor-neutral zone scenarios, on the other backend."""
import test_zones as z
from harness import Boot, make_esp

# The scenarios that need nothing vendor-specific; the hypervisor-address
# probe boots twice and is left to the QEMU run to keep Bochs time down.
VMX_SCENARIOS = ["hello_same_under_zonevisor_and_qemu", "two_zones_run_at_the_same_time",
                 "isolation_scan_and_nested_page_fault", "wipe_then_same_pages_show_no_marker",
                 "triple_fault_stops_only_that_zone", "virtualization_instructions_get_ud",
                 "vmx_instructions_get_ud", "cpuid_and_msr_policy",
                 "bad_zone_config_is_refused_others_run",
                 "prefixed_instructions_resume_after_the_prefixes",
                 "guest_shutdown_and_reboot_end_the_zone",
                 "hostile_apic_and_ioapic_access_stops_only_that_zone",
                 "cpu_state_traps_and_stray_events"]


def test_vmx_boot_every_cpu_online(name):
    esp = make_esp(name, "[zonevisor]\non_idle = poweroff\n")
    with Boot(name, esp, smp=2, mem=512, timeout=200, emu="bochs") as b:
        b.expect(r"^zonevisor \d+\.\d+\.\d+ booting$")
        b.expect(r"^acpi: none \(firmware installed no tables\); using the UEFI cpu list$")
        b.expect(r"^cpu 0 online \(apic 0, vmx\)$")
        b.expect(r"^cpu 1 online \(apic 1, vmx\)$")
        b.expect(r"^zonevisor: ready \(2 cpus, \d+ MiB free\)$")
        b.expect(r"^zonevisor: powering off$")


def _make(scenario):
    return lambda name: getattr(z, scenario)(name, z.BOCHS)


for _s in VMX_SCENARIOS:
    globals()["test_vmx_" + _s] = _make(_s)


def test_vmx_linux_zone_with_two_vcpus(name):
    """The Debian kernel in a 2-vCPU zone on the VMX backend: interrupt
    injection and windows, the x2APIC and IOAPIC, and INIT/STARTUP into
    real mode (unrestricted guest).  About three minutes of Bochs."""
    import test_linux as tl
    conf = tl.agent_zone("lin", "1,2", "nproc; uname -r; sh -c 'exit 5'")
    esp = make_esp(name, tl.BASE + conf, [tl.KERNEL, tl.INITRD])
    with Boot(name, esp, smp=3, mem=1024, timeout=600, emu="bochs") as b:
        b.expect(r"^cpu 2 online \(apic 2, vmx\)$")
        b.expect(r"^zone lin: started \(cpu 1,2, 128 MiB\)$")
        b.expect(r"^zone lin: stopped \(exit status 5\)$")
        b.expect(r"^zones: all ended; pool (\d+) KiB free \((\d+) KiB before\)$")
        if tl.zone_output(b, "lin") != ["2", tl.kernel_release()]:
            b.fail(f"zone lin printed {tl.zone_output(b, 'lin')}")
