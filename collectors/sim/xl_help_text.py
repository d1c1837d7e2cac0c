# ruff: noqa: E501
"""``xl help``: the full subcommand list exactly as xl 4.17 (Debian 12) prints it."""

from __future__ import annotations

HELP_TEXT = (
    'Usage xl [-vfNtT] <subcommand> [args]\n'
    '\n'
    'xl full list of subcommands:\n'
    '\n'
    ' create              Create a domain from config file <filename>\n'
    " config-update       Update a running domain's saved configuration, used when rebuilding the domain after reboot.\n"
    'WARNING: xl now has better capability to manage domain configuration, avoid using this command when possible\n'
    ' list                List information about all/some domains\n'
    ' destroy             Terminate a domain immediately\n'
    ' shutdown            Issue a shutdown signal to a domain\n'
    ' reboot              Issue a reboot signal to a domain\n'
    ' pci-attach          Insert a new pass-through pci device\n'
    " pci-detach          Remove a domain's pass-through pci device\n"
    ' pci-list            List pass-through pci devices for a domain\n'
    ' pci-assignable-add  Make a device assignable for pci-passthru\n'
    ' pci-assignable-remove \n'
    '                     Remove a device from being assignable\n'
    ' pci-assignable-list List all the assignable pci devices\n'
    ' pause               Pause execution of a domain\n'
    ' unpause             Unpause a paused domain\n'
    " console             Attach to domain's console\n"
    " vncviewer           Attach to domain's VNC server.\n"
    ' save                Save a domain state to restore later\n'
    ' migrate             Migrate a domain to another host\n'
    ' restore             Restore a domain from a saved state\n'
    ' migrate-receive     Restore a domain from a saved state\n'
    ' dump-core           Core dump a domain\n'
    " cd-insert           Insert a cdrom into a guest's cd drive\n"
    " cd-eject            Eject a cdrom from a guest's cd drive\n"
    ' mem-max             Set the maximum amount reservation for a domain\n'
    ' mem-set             Set the current memory usage for a domain\n'
    ' button-press        Indicate an ACPI button press to the domain\n'
    ' vcpu-list           List the VCPUs for all/some domains\n'
    ' vcpu-pin            Set which CPUs a VCPU can use\n'
    ' vcpu-set            Set the number of active VCPUs allowed for the domain\n'
    ' vm-list             List guest domains, excluding dom0, stubdoms, etc.\n'
    ' info                Get information about Xen host\n'
    ' sharing             Get information about page sharing\n'
    ' sched-credit        Get/set credit scheduler parameters\n'
    ' sched-credit2       Get/set credit2 scheduler parameters\n'
    ' sched-rtds          Get/set rtds scheduler parameters\n'
    ' domid               Convert a domain name to domain id\n'
    ' domname             Convert a domain id to domain name\n'
    ' rename              Rename a domain\n'
    ' trigger             Send a trigger to a domain\n'
    ' sysrq               Send a sysrq to a domain\n'
    ' debug-keys          Send debug keys to Xen\n'
    ' set-parameters      Set hypervisor parameters\n'
    ' dmesg               Read and/or clear dmesg buffer\n'
    ' top                 Monitor a host and the domains in real time\n'
    ' network-attach      Create a new virtual network device\n'
    ' network-list        List virtual network interfaces for a domain\n'
    " network-detach      Destroy a domain's virtual network device\n"
    ' channel-list        List virtual channel devices for a domain\n'
    ' block-attach        Create a new virtual block device\n'
    ' block-list          List virtual block devices for a domain\n'
    " block-detach        Destroy a domain's virtual block device\n"
    ' vtpm-attach         Create a new virtual TPM device\n'
    ' vtpm-list           List virtual TPM devices for a domain\n'
    " vtpm-detach         Destroy a domain's virtual TPM device\n"
    ' vkb-attach          Create a new virtual keyboard device\n'
    ' vkb-list            List virtual keyboard devices for a domain\n'
    " vkb-detach          Destroy a domain's virtual keyboard device\n"
    ' vdispl-attach       Create a new virtual display device\n'
    ' vdispl-list         List virtual display devices for a domain\n'
    " vdispl-detach       Destroy a domain's virtual display device\n"
    ' vsnd-attach         Create a new virtual sound device\n'
    ' vsnd-list           List virtual display devices for a domain\n'
    " vsnd-detach         Destroy a domain's virtual sound device\n"
    ' uptime              Print uptime for all/some domains\n'
    ' claims              List outstanding claim information about all domains\n'
    ' cpupool-create      Create a new CPU pool\n'
    ' cpupool-list        List CPU pools on host\n'
    ' cpupool-destroy     Deactivates a CPU pool\n'
    ' cpupool-rename      Renames a CPU pool\n'
    ' cpupool-cpu-add     Adds a CPU to a CPU pool\n'
    ' cpupool-cpu-remove  Removes a CPU from a CPU pool\n'
    ' cpupool-migrate     Moves a domain into a CPU pool\n'
    ' cpupool-numa-split  Splits up the machine into one CPU pool per NUMA node\n'
    ' getenforce          Returns the current enforcing mode of the Flask Xen security module\n'
    ' setenforce          Sets the current enforcing mode of the Flask Xen security module\n'
    ' loadpolicy          Loads a new policy into the Flask Xen security module\n'
    ' remus               Enable Remus HA for domain\n'
    ' devd                Daemon that listens for devices and launches backends\n'
    ' psr-hwinfo          Show hardware information for Platform Shared Resource\n'
    ' psr-cmt-attach      Attach Cache Monitoring Technology service to a domain\n'
    ' psr-cmt-detach      Detach Cache Monitoring Technology service from a domain\n'
    ' psr-cmt-show        Show Cache Monitoring Technology information\n'
    ' psr-cat-set         Set cache capacity bitmasks(CBM) for a domain\n'
    ' psr-cat-show        Show Cache Allocation Technology information\n'
    ' psr-mba-set         Set throttling value (THRTL) for a domain\n'
    ' psr-mba-show        Show Memory Bandwidth Allocation information\n'
    ' usbctrl-attach      Create a virtual USB controller for a domain\n'
    ' usbctrl-detach      Remove the virtual USB controller specified by <DevId> for a domain\n'
    ' usbdev-attach       Attach a USB device to a domain\n'
    ' usbdev-detach       Detach a USB device from a domain\n'
    ' usb-list            List information about all USB controllers and devices for a domain\n'
    ' qemu-monitor-command \n'
    '                     Issue a qemu monitor command to the device model of a domain\n'
)

COMMAND_NAMES = (
    "create",
    "config-update",
    "list",
    "destroy",
    "shutdown",
    "reboot",
    "pci-attach",
    "pci-detach",
    "pci-list",
    "pci-assignable-add",
    "pci-assignable-remove",
    "pci-assignable-list",
    "pause",
    "unpause",
    "console",
    "vncviewer",
    "save",
    "migrate",
    "restore",
    "migrate-receive",
    "dump-core",
    "cd-insert",
    "cd-eject",
    "mem-max",
    "mem-set",
    "button-press",
    "vcpu-list",
    "vcpu-pin",
    "vcpu-set",
    "vm-list",
    "info",
    "sharing",
    "sched-credit",
    "sched-credit2",
    "sched-rtds",
    "domid",
    "domname",
    "rename",
    "trigger",
    "sysrq",
    "debug-keys",
    "set-parameters",
    "dmesg",
    "top",
    "network-attach",
    "network-list",
    "network-detach",
    "channel-list",
    "block-attach",
    "block-list",
    "block-detach",
    "vtpm-attach",
    "vtpm-list",
    "vtpm-detach",
    "vkb-attach",
    "vkb-list",
    "vkb-detach",
    "vdispl-attach",
    "vdispl-list",
    "vdispl-detach",
    "vsnd-attach",
    "vsnd-list",
    "vsnd-detach",
    "uptime",
    "claims",
    "cpupool-create",
    "cpupool-list",
    "cpupool-destroy",
    "cpupool-rename",
    "cpupool-cpu-add",
    "cpupool-cpu-remove",
    "cpupool-migrate",
    "cpupool-numa-split",
    "getenforce",
    "setenforce",
    "loadpolicy",
    "remus",
    "devd",
    "psr-hwinfo",
    "psr-cmt-attach",
    "psr-cmt-detach",
    "psr-cmt-show",
    "psr-cat-set",
    "psr-cat-show",
    "psr-mba-set",
    "psr-mba-show",
    "usbctrl-attach",
    "usbctrl-detach",
    "usbdev-attach",
    "usbdev-detach",
    "usb-list",
    "qemu-monitor-command",
)
