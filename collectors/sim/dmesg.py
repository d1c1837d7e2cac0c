"""A plausible hypervisor console ring (``xl dmesg``) for a simulated host."""

from __future__ import annotations

from collectors.sim.state import SimHost


def boot_log(host: SimHost) -> list[str]:
    mhz = f"{host.cpu_khz // 1000}.{host.cpu_khz % 1000:03d}"
    total_mib = host.total_kib // 1024
    lines = [
        f"Xen version {host.xen_version} (Debian {host.xen_version}+72-g01140da4e8-1) "
        "(pkg-xen-devel@lists.alioth.debian.org) (x86_64-linux-gnu-gcc (Debian "
        "12.2.0-14+deb12u1) 12.2.0) debug=n Sat Nov 29 13:52:25 UTC 2025",
        f"build-id: {host.build_id}",
        "Bootloader: GRUB 2.06-13+deb12u1",
        f"Command line: {host.xen_commandline}",
        "Xen image load base address: 0",
        "Video information:",
        " VGA is text mode 80x25, font 8x16",
        "Disc information:",
        " Found 1 MBR signatures",
        " Found 1 EDD information structures",
        "Xen-e820 RAM map:",
        " [0000000000000000, 000000000009fbff] (usable)",
        " [0000000000100000, 000000007ffdbfff] (usable)",
        f"System RAM: {total_mib}MB ({host.total_kib}kB)",
        "Domain heap initialised",
        "ACPI: Local APIC address 0xfee00000",
        f"SMP: Allowing {host.nr_cpus} CPUs (0 hotplug CPUs)",
        "IRQ limits: 24 GSI, 392 MSI/MSI-X",
        "Speculative mitigation facilities:",
        "  Xen settings: BTI-Thunk: RETPOLINE, SPEC_CTRL: No, Other: BRANCH_HARDEN",
        f"Using scheduler: SMP Credit Scheduler rev2 ({host.scheduler})",
        "Initializing Credit2 scheduler",
        " load_precision_shift: 18",
        " load_window_shift: 30",
        "Platform timer is 100.000MHz HPET",
        f"Detected {mhz} MHz processor.",
        "Freed 1024kB unused BSS memory",
        f"nr_sockets: {max(1, host.nr_cpus // (host.cores_per_socket * host.threads_per_core))}",
        "Enabling APIC mode.  Using 1 I/O APICs",
        "Allocated console ring of 16 KiB.",
        "HVM: ASIDs enabled.",
        "VMX: Supported advanced features:",
        "HVM: VMX enabled",
        "HVM: Hardware Assisted Paging (HAP) detected",
        f"Brought up {host.nr_cpus} CPUs",
        "Scheduling granularity: cpu, 1 CPU per sched-resource",
        "NX (Execute Disable) protection active",
        "*** Building a PV Dom0 ***",
        " Xen  kernel: 64-bit, lsb",
        " Dom0 kernel: 64-bit, PAE, lsb, paddr 0x1000000 -> 0x4a00000",
        f"Dom0 has maximum {host.domains[0].max_vcpus if 0 in host.domains else 1} VCPUs",
        "Initial low memory virq threshold set at 0x4000 pages.",
        "Scrubbing Free RAM in background",
        "Std. Loglevel: All",
        "Guest Loglevel: All",
        "*** Serial input to DOM0 (type 'CTRL-a' three times to switch input)",
        "Freed 668kB init memory",
        "PCI add device 0000:00:00.0",
        "PCI add device 0000:00:01.0",
        "PCI add device 0000:00:1f.0",
    ]
    return ["(XEN) " + line for line in lines]
