"""xl's command table as Xen 4.17 prints it: usage texts for ``xl help CMD`` and errors."""

from __future__ import annotations

from collectors.sim.xl_help_text import COMMAND_NAMES

# name -> (flags shown in "[-vtT...]", arguments, description, options text or "")
_COMMANDS: dict[str, tuple[str, str, str, str]] = {
    "create": ("fN", "<ConfigFile> [options] [vars]", "Create a domain from config file <filename>",
               "-c                      Connect to the console after the domain is created.\n"
               "-d                      Enable debug messages.\n"
               "-e                      Do not wait in the background for the death of the "
               "domain.\n"
               "-F                      Run in foreground until death of the domain.\n"
               "-f FILE, --defconfig=FILE\n"
               "                     Use the given configuration file.\n"
               "-h                      Print this help.\n"
               "-n, --dryrun            Dry run - prints the resulting configuration\n"
               "                         (deprecated in favour of global -N option).\n"
               "-p                      Leave the domain paused after it is created.\n"
               "-q, --quiet             Quiet.\n"
               "-V, --vncviewer         Connect to the VNC display after the domain is created.\n"
               "-A, --vncviewer-autopass\n"
               "                        Pass VNC password to viewer via stdin.\n"
               "--ignore-global-affinity-masks Ignore global masks in xl.conf."),
    "list": ("", "[options] [Domain]\n", "List information about all/some domains",
             "-l, --long              Output all VM details\n"
             "-v, --verbose           Prints out UUIDs and security context\n"
             "-Z, --context           Prints out security context\n"
             "-c, --cpupool           Prints the cpupool the domain is in\n"
             "-n, --numa              Prints out NUMA node affinity"),
    "destroy": ("f", "[options] <Domain>\n", "Terminate a domain immediately",
                "-f                      Permit destroying domain 0, which will only succeed\n"
                "                        when run from disaggregated toolstack domain with a\n"
                "                        hardware domain distinct from domain 0."),
    "shutdown": ("f", "[options] <-a|Domain>", "Issue a shutdown signal to a domain",
                 "-a, --all               Shutdown all guest domains.\n"
                 "-h                      Print this help.\n"
                 "-F                      Fallback to ACPI power event for HVM guests with\n"
                 "                        no PV drivers.\n"
                 "-w, --wait              Wait for guest(s) to shutdown.\n"),
    "reboot": ("f", "[options] <-a|Domain>", "Issue a reboot signal to a domain",
               "-a, --all               Shutdown all guest domains.\n"
               "-h                      Print this help.\n"
               "-F                      Fallback to ACPI reset event for HVM guests with\n"
               "                        no PV drivers.\n"
               "-w, --wait              Wait for guest(s) to reboot.\n"),
    "pause": ("f", "<Domain>", "Pause execution of a domain", ""),
    "unpause": ("f", "<Domain>", "Unpause a paused domain", ""),
    "console": ("", "[options] <Domain>\n-t <type>       console type, pv , serial or vuart\n"
                "-n <number>     console number", "Attach to domain's console", ""),
    "migrate": ("f", "[options] <Domain> <host>", "Migrate a domain to another host",
                "-h              Print this help.\n"
                "-C <config>     Send <config> instead of config file from creation.\n"
                "-s <sshcommand> Use <sshcommand> instead of ssh.  String will be passed\n"
                "                to sh. If empty, run <host> instead of ssh <host> xl\n"
                "                migrate-receive [-d -e]\n"
                "-e              Do not wait in the background (on <host>) for the death\n"
                "                of the domain.\n"
                "--debug         Print huge (!) amount of debug during the migration process.\n"
                "-p              Do not unpause domain after migrating it.\n"
                "-D              Preserve the domain id"),
    "save": ("f", "[options] <Domain> <CheckpointFile> [<ConfigFile>]",
             "Save a domain state to restore later",
             "-h  Print this help.\n"
             "-c  Leave domain running after creating the snapshot.\n"
             "-p  Leave domain paused after creating the snapshot.\n"
             "-D  Store the domain id in the configuration."),
    "restore": ("f", "[options] [<ConfigFile>] <CheckpointFile>",
                "Restore a domain from a saved state",
                "-h                       Print this help.\n"
                "-p                       Do not unpause domain after restoring it.\n"
                "-e                       Do not wait in the background for the death of the "
                "domain.\n"
                "-d                       Enable debug messages.\n"
                "-V, --vncviewer          Connect to the VNC display after the domain is created.\n"
                "-A, --vncviewer-autopass Pass VNC password to viewer via stdin."),
    "cd-insert": ("fN", "<Domain> <VirtualDevice> <path>", "Insert a cdrom into a guest's cd drive",
                  ""),
    "cd-eject": ("fN", "<Domain> <VirtualDevice>", "Eject a cdrom from a guest's cd drive", ""),
    "mem-max": ("f", "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>",
                "Set the maximum amount reservation for a domain", ""),
    "mem-set": ("f", "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>",
                "Set the current memory usage for a domain", ""),
    "info": ("", "-n, --numa         List host NUMA topology information",
             "Get information about Xen host", ""),
    "dmesg": ("", "[-c]", "Read and/or clear dmesg buffer",
              "  -c                        Clear dmesg buffer as well as printing it"),
    "vcpu-list": ("", "[Domain, ...]", "List the VCPUs for all/some domains", ""),
    "vcpu-pin": ("fN", "[option] <Domain> <VCPU|all> <Hard affinity|-|all> <Soft affinity|-|all>",
                 "Set which CPUs a VCPU can use",
                 "-f, --force        undo an override pinning done by the kernel\n"
                 "--ignore-global-affinity-masks Ignore global masks in xl.conf"),
    "vcpu-set": ("f", "[option] <Domain> <vCPUs>",
                 "Set the number of active VCPUs allowed for the domain",
                 "-i, --ignore-host  Don't limit the vCPU based on the host CPU count"),
    "sched-credit": ("f", "[-d <Domain> [-w[=WEIGHT]|-c[=CAP]]] [-s [-t TSLICE] [-r RATELIMIT]] "
                     "[-p CPUPOOL]",
                     "Get/set credit scheduler parameters",
                     "-d DOMAIN, --domain=DOMAIN        Domain to modify\n"
                     "-w WEIGHT, --weight=WEIGHT        Weight (int)\n"
                     "-c CAP, --cap=CAP                 Cap (int)\n"
                     "-s         --schedparam           Query / modify scheduler parameters\n"
                     "-t TSLICE, --tslice_ms=TSLICE     Set the timeslice, in milliseconds\n"
                     "-r RLIMIT, --ratelimit_us=RLIMIT  Set the scheduling rate limit, in "
                     "microseconds\n"
                     "-m DLY, --migration_delay_us=DLY  Set the migration delay, in microseconds\n"
                     "-p CPUPOOL, --cpupool=CPUPOOL     Restrict output to CPUPOOL"),
    "sched-credit2": ("f", "[-d <Domain> [-w[=WEIGHT]]] [-p CPUPOOL]",
                      "Get/set credit2 scheduler parameters",
                      "-d DOMAIN, --domain=DOMAIN     Domain to modify\n"
                      "-w WEIGHT, --weight=WEIGHT     Weight (int)\n"
                      "-c CAP,    --cap=CAP           Cap (int)\n"
                      "-s         --schedparam        Query / modify scheduler parameters\n"
                      "-r RLIMIT, --ratelimit_us=RLIMIT Set the scheduling rate limit, in "
                      "microseconds\n"
                      "-p CPUPOOL, --cpupool=CPUPOOL  Restrict output to CPUPOOL"),
    "domid": ("", "<DomainName>", "Convert a domain name to domain id", ""),
    "domname": ("", "<DomainId>", "Convert a domain id to domain name", ""),
    "network-attach": ("fN", "<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] [ip=<ip>] "
                       "[script=<script>] [backend=<BackDomain>] [vifname=<name>] [rate=<rate>] "
                       "[model=<model>] [accel=<accel>] [mtu=<mtu>]",
                       "Create a new virtual network device", ""),
    "network-list": ("", "<Domain(s)>", "List virtual network interfaces for a domain", ""),
    "network-detach": ("f", "<Domain> <DevId|mac>", "Destroy a domain's virtual network device",
                       ""),
    "block-attach": ("fN", "<Domain> <disk-spec-component(s)>...",
                     "Create a new virtual block device", ""),
    "block-list": ("", "<Domain(s)>", "List virtual block devices for a domain", ""),
    "block-detach": ("f", "[option] <Domain> <DevId>", "Destroy a domain's virtual block device",
                     "-f, --force        do not wait for the domain to release the device"),
    "uptime": ("", "[-s] [Domain]", "Print uptime for all/some domains", ""),
    "cpupool-list": ("", "[-c|--cpus] [<CPU Pool>]", "List CPU pools on host",
                     "-c, --cpus                     Output list of CPUs used by a pool"),
}

DRYRUN_COMMANDS = frozenset(
    {"create", "cd-insert", "cd-eject", "vcpu-pin", "network-attach", "block-attach",
     "config-update", "vtpm-attach", "vkb-attach", "vdispl-attach", "vsnd-attach",
     "usbctrl-attach", "usbdev-attach", "pci-attach"}
)


def usage(cmd: str) -> str:
    """``xl help CMD`` (stdout)."""
    flags, args, desc, opts = _COMMANDS[cmd]
    text = f"Usage: xl [-vtT{flags}] {cmd} {args}\n\n{desc}.\n\n"
    if opts:
        text += f"Options:\n\n{opts}\n"
    return text


def known(cmd: str) -> bool:
    return cmd in _COMMANDS


def lookup(word: str) -> str | None:
    """xl's cmdtable_lookup: an exact name, or the one command it abbreviates."""
    found: list[str] = []
    for name in COMMAND_NAMES:
        if name.startswith(word):
            if name == word:
                return name
            found.append(name)
    return found[0] if len(found) == 1 else None
