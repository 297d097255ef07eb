namespace Reconciler.Schema.Validation;

/// <summary>
/// The value lists of libvirt 9.0.0's XML enumerations (its VIR_ENUM_IMPL tables), in libvirt's order:
/// index 0 is usually the "default"/"none" value that NonZero checks refuse.
/// </summary>
public static class LibvirtEnums
{
    public static readonly string[] TristateBool = ["default", "yes", "no"];

    public static readonly string[] TristateSwitch = ["default", "on", "off"];

    public static readonly string[] CPU = ["host", "guest", "auto"];

    public static readonly string[] CPUCacheMode = ["emulate", "passthrough", "disable"];

    public static readonly string[] CPUCheck = ["default", "none", "partial", "full"];

    public static readonly string[] CPUFallback = ["allow", "forbid"];

    public static readonly string[] CPUFeaturePolicy = ["force", "require", "optional", "disable", "forbid"];

    public static readonly string[] CPUMatch = ["exact", "minimum", "strict"];

    public static readonly string[] CPUMaxPhysAddrMode = ["emulate", "passthrough"];

    public static readonly string[] CPUMode = ["custom", "host-model", "host-passthrough", "maximum"];

    public static readonly string[] Cache = ["both", "code", "data"];

    public static readonly string[] CacheKernel = ["Unified", "Instruction", "Data"];

    public static readonly string[] CapsHostPMTarget = ["suspend_mem", "suspend_disk", "suspend_hybrid"];

    public static readonly string[] CgroupBackend = ["cgroup V2", "cgroup V1"];

    public static readonly string[] CgroupController = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "net_cls", "perf_event", "name=systemd"];

    public static readonly string[] CgroupV1Controller = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "net_cls", "perf_event", "name=systemd"];

    public static readonly string[] CgroupV2Controller = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "io", "net_cls", "perf_event", "name=systemd"];

    public static readonly string[] Conf = ["*unexpected*", "long", "unsigned long", "string", "list"];

    public static readonly string[] DomainAgentJob = ["none", "query", "modify"];

    public static readonly string[] DomainAsyncJob = ["none", "migration out", "migration in", "save", "dump", "snapshot", "start", "backup"];

    public static readonly string[] DomainAudioFormat = ["", "u8", "s8", "u16", "s16", "u32", "s32", "f32"];

    public static readonly string[] DomainAudioSDLDriver = ["", "esd", "alsa", "arts", "pulseaudio"];

    public static readonly string[] DomainAudioType = ["none", "alsa", "coreaudio", "jack", "oss", "pulseaudio", "sdl", "spice", "file", "dbus"];

    public static readonly string[] DomainBackup = ["default", "push", "pull"];

    public static readonly string[] DomainBackupDiskBackupMode = ["", "full", "incremental"];

    public static readonly string[] DomainBackupDiskState = ["", "running", "complete", "failed", "cancelling", "cancelled"];

    public static readonly string[] DomainBlockJob = ["", "", "copy", "", "active-commit", ""];

    public static readonly string[] DomainBlockedReason = ["unknown"];

    public static readonly string[] DomainBoot = ["fd", "cdrom", "hd", "network"];

    public static readonly string[] DomainCFPC = ["none", "broken", "workaround", "fixed"];

    public static readonly string[] DomainCapabilitiesPolicy = ["default", "allow", "deny"];

    public static readonly string[] DomainCapsCPUUsable = ["unknown", "yes", "no"];

    public static readonly string[] DomainCapsFeature = ["iothreads", "vmcoreinfo", "genid", "backingStoreInput", "backup", "s390-pv"];

    public static readonly string[] DomainCheckpoint = ["default", "no", "bitmap"];

    public static readonly string[] DomainChr = ["null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix", "spicevmc", "spiceport", "nmdm", "qemu-vdagent", "dbus"];

    public static readonly string[] DomainChrChannelTarget = ["none", "guestfwd", "virtio", "xen"];

    public static readonly string[] DomainChrConsoleTarget = ["none", "serial", "xen", "uml", "virtio", "lxc", "openvz", "sclp", "sclplm"];

    public static readonly string[] DomainChrDevice = ["parallel", "serial", "console", "channel"];

    public static readonly string[] DomainChrDeviceState = ["default", "connected", "disconnected"];

    public static readonly string[] DomainChrSerialTarget = ["none", "isa-serial", "usb-serial", "pci-serial", "spapr-vio-serial", "system-serial", "sclp-serial", "isa-debug"];

    public static readonly string[] DomainChrSerialTargetModel = ["none", "isa-serial", "usb-serial", "pci-serial", "spapr-vty", "pl011", "sclpconsole", "sclplmconsole", "16550a", "isa-debugcon"];

    public static readonly string[] DomainChrSpicevmc = ["vdagent", "smartcard", "usbredir"];

    public static readonly string[] DomainChrTcpProtocol = ["raw", "telnet", "telnets", "tls"];

    public static readonly string[] DomainClockBasis = ["utc", "localtime"];

    public static readonly string[] DomainClockOffset = ["utc", "localtime", "variable", "timezone", "absolute"];

    public static readonly string[] DomainController = ["ide", "fdc", "scsi", "sata", "virtio-serial", "ccid", "usb", "pci", "xenbus", "isa"];

    public static readonly string[] DomainControllerModelIDE = ["piix3", "piix4", "ich6"];

    public static readonly string[] DomainControllerModelISA = [];

    public static readonly string[] DomainControllerModelPCI = ["pci-root", "pcie-root", "pci-bridge", "dmi-to-pci-bridge", "pcie-to-pci-bridge", "pcie-root-port", "pcie-switch-upstream-port", "pcie-switch-downstream-port", "pci-expander-bus", "pcie-expander-bus"];

    public static readonly string[] DomainControllerModelSCSI = ["auto", "buslogic", "lsilogic", "lsisas1068", "vmpvscsi", "ibmvscsi", "virtio-scsi", "lsisas1078", "virtio-transitional", "virtio-non-transitional", "ncr53c90", "dc390", "am53c974"];

    public static readonly string[] DomainControllerModelUSB = ["piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3", "vt82c686b-uhci", "pci-ohci", "nec-xhci", "qusb1", "qusb2", "qemu-xhci", "none"];

    public static readonly string[] DomainControllerModelVirtioSerial = ["virtio", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainControllerPCIModelName = ["none", "pci-bridge", "i82801b11-bridge", "ioh3420", "x3130-upstream", "xio3130-downstream", "pxb", "pxb-pcie", "pcie-root-port", "spapr-pci-host-bridge", "pcie-pci-bridge"];

    public static readonly string[] DomainCpuPlacementMode = ["static", "auto"];

    public static readonly string[] DomainCrashedReason = ["unknown", "panicked"];

    public static readonly string[] DomainDevice = ["none", "disk", "lease", "filesystem", "interface", "input", "sound", "video", "hostdev", "watchdog", "controller", "graphics", "hub", "redirdev", "smartcard", "chr", "memballoon", "nvram", "rng", "shmem", "tpm", "panic", "memory", "iommu", "vsock", "audio"];

    public static readonly string[] DomainDeviceAddress = ["none", "pci", "drive", "virtio-serial", "ccid", "usb", "spapr-vio", "virtio-s390", "ccw", "virtio-mmio", "isa", "dimm", "unassigned"];

    public static readonly string[] DomainDeviceSGIO = ["default", "filtered", "unfiltered"];

    public static readonly string[] DomainDiskBus = ["none", "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd"];

    public static readonly string[] DomainDiskCache = ["default", "none", "writethrough", "writeback", "directsync", "unsafe"];

    public static readonly string[] DomainDiskDetectZeroes = ["default", "off", "on", "unmap"];

    public static readonly string[] DomainDiskDevice = ["disk", "cdrom", "floppy", "lun"];

    public static readonly string[] DomainDiskDiscard = ["default", "unmap", "ignore"];

    public static readonly string[] DomainDiskErrorPolicy = ["default", "stop", "report", "ignore", "enospace"];

    public static readonly string[] DomainDiskGeometryTrans = ["default", "none", "auto", "lba"];

    public static readonly string[] DomainDiskIo = ["default", "native", "threads", "io_uring"];

    public static readonly string[] DomainDiskMirrorState = ["none", "yes", "abort", "pivot"];

    public static readonly string[] DomainDiskModel = ["default", "virtio", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainDiskTray = ["closed", "open"];

    public static readonly string[] DomainFS = ["mount", "block", "file", "template", "ram", "bind", "volume"];

    public static readonly string[] DomainFSAccessMode = ["", "passthrough", "mapped", "squash"];

    public static readonly string[] DomainFSCacheMode = ["default", "none", "always"];

    public static readonly string[] DomainFSDriver = ["default", "path", "handle", "loop", "nbd", "ploop", "virtiofs"];

    public static readonly string[] DomainFSModel = ["default", "virtio", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainFSMultidevs = ["default", "remap", "forbid", "warn"];

    public static readonly string[] DomainFSSandboxMode = ["default", "namespace", "chroot"];

    public static readonly string[] DomainFSWrpolicy = ["default", "immediate"];

    public static readonly string[] DomainFeature = ["acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm", "pvspinlock", "capabilities", "pmu", "vmport", "gic", "smm", "ioapic", "hpt", "vmcoreinfo", "htm", "nested-hv", "msrs", "ccf-assist", "xen", "cfpc", "sbbc", "ibs", "tcg"];

    public static readonly string[] DomainGraphics = ["sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus"];

    public static readonly string[] DomainGraphicsAuthConnected = ["default", "fail", "disconnect", "keep"];

    public static readonly string[] DomainGraphicsListen = ["none", "address", "network", "socket"];

    public static readonly string[] DomainGraphicsSpiceChannelMode = ["any", "secure", "insecure"];

    public static readonly string[] DomainGraphicsSpiceChannelName = ["main", "display", "inputs", "cursor", "playback", "record", "smartcard", "usbredir"];

    public static readonly string[] DomainGraphicsSpiceImageCompression = ["default", "auto_glz", "auto_lz", "quic", "glz", "lz", "off"];

    public static readonly string[] DomainGraphicsSpiceJpegCompression = ["default", "auto", "never", "always"];

    public static readonly string[] DomainGraphicsSpiceStreamingMode = ["default", "filter", "all", "off"];

    public static readonly string[] DomainGraphicsSpiceZlibCompression = ["default", "auto", "never", "always"];

    public static readonly string[] DomainGraphicsVNCSharePolicy = ["default", "allow-exclusive", "force-shared", "ignore"];

    public static readonly string[] DomainHPTResizing = ["none", "enabled", "disabled", "required"];

    public static readonly string[] DomainHostdevCaps = ["storage", "misc", "net"];

    public static readonly string[] DomainHostdevMode = ["subsystem", "capabilities"];

    public static readonly string[] DomainHostdevSubsys = ["usb", "pci", "scsi", "scsi_host", "mdev"];

    public static readonly string[] DomainHostdevSubsysPCIBackend = ["default", "kvm", "vfio", "xen"];

    public static readonly string[] DomainHostdevSubsysSCSIHostProtocol = ["none", "vhost"];

    public static readonly string[] DomainHostdevSubsysSCSIProtocol = ["adapter", "iscsi"];

    public static readonly string[] DomainHostdevSubsysSCSIVHostModel = ["default", "virtio", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainHostdevSubsysUSBGuestReset = ["default", "off", "uninitialized", "on"];

    public static readonly string[] DomainHub = ["usb"];

    public static readonly string[] DomainHyperVMode = ["none", "custom", "passthrough"];

    public static readonly string[] DomainHyperv = ["relaxed", "vapic", "spinlocks", "vpindex", "runtime", "synic", "stimer", "reset", "vendor_id", "frequencies", "reenlightenment", "tlbflush", "ipi", "evmcs", "avic"];

    public static readonly string[] DomainIBS = ["none", "broken", "workaround", "fixed-ibs", "fixed-ccd", "fixed-na"];

    public static readonly string[] DomainIOAPIC = ["none", "qemu", "kvm"];

    public static readonly string[] DomainIOMMUModel = ["intel", "smmuv3", "virtio"];

    public static readonly string[] DomainInput = ["mouse", "tablet", "keyboard", "passthrough", "evdev"];

    public static readonly string[] DomainInputBus = ["ps2", "usb", "xen", "parallels", "virtio", "none"];

    public static readonly string[] DomainInputModel = ["default", "virtio", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainInputSourceGrab = ["default", "all"];

    public static readonly string[] DomainInputSourceGrabToggle = ["default", "ctrl-ctrl", "alt-alt", "shift-shift", "meta-meta", "scrolllock", "ctrl-scrolllock"];

    public static readonly string[] DomainJob = ["none", "query", "destroy", "suspend", "modify", "abort", "migration operation", "modify migration safe", "none", "async nested"];

    public static readonly string[] DomainKVM = ["hidden", "hint-dedicated", "poll-control", "pv-ipi", "dirty-ring"];

    public static readonly string[] DomainKeyWrapCipherName = ["aes", "dea"];

    public static readonly string[] DomainLaunchSecurity = ["", "sev", "s390-pv"];

    public static readonly string[] DomainLifecycle = ["poweroff", "reboot", "crash"];

    public static readonly string[] DomainLifecycleAction = ["destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart"];

    public static readonly string[] DomainLoader = ["none", "rom", "pflash"];

    public static readonly string[] DomainLockFailure = ["default", "poweroff", "restart", "pause", "ignore"];

    public static readonly string[] DomainMemballoonModel = ["virtio", "xen", "none", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainMemoryAccess = ["default", "shared", "private"];

    public static readonly string[] DomainMemoryAllocation = ["none", "immediate", "ondemand"];

    public static readonly string[] DomainMemoryModel = ["", "dimm", "nvdimm", "virtio-pmem", "virtio-mem", "sgx-epc"];

    public static readonly string[] DomainMemorySource = ["none", "file", "anonymous", "memfd"];

    public static readonly string[] DomainMouseMode = ["default", "server", "client"];

    public static readonly string[] DomainMsrsUnknown = ["ignore", "fault"];

    public static readonly string[] DomainNet = ["user", "ethernet", "vhostuser", "server", "client", "mcast", "network", "bridge", "internal", "direct", "hostdev", "udp", "vdpa", "null", "vds"];

    public static readonly string[] DomainNetBackend = ["default", "passt"];

    public static readonly string[] DomainNetDriver = ["default", "qemu", "vhost"];

    public static readonly string[] DomainNetInterfaceLinkState = ["default", "up", "down"];

    public static readonly string[] DomainNetMacType = ["", "generated", "static"];

    public static readonly string[] DomainNetModel = ["unknown", "netfront", "rtl8139", "virtio", "e1000", "e1000e", "virtio-transitional", "virtio-non-transitional", "usb-net", "spapr-vlan", "lan9118", "scm91c111", "vlance", "vmxnet", "vmxnet2", "vmxnet3", "Am79C970A", "Am79C973", "82540EM", "82545EM", "82543GC"];

    public static readonly string[] DomainNetProto = ["none", "tcp", "udp"];

    public static readonly string[] DomainNetTeaming = ["none", "persistent", "transient"];

    public static readonly string[] DomainNetVhostuserMode = ["", "client", "server"];

    public static readonly string[] DomainNetVirtioTxMode = ["default", "iothread", "timer"];

    public static readonly string[] DomainNostateReason = ["unknown"];

    public static readonly string[] DomainNumatuneMemMode = ["strict", "preferred", "interleave", "restrictive"];

    public static readonly string[] DomainNumatunePlacement = ["default", "static", "auto"];

    public static readonly string[] DomainOS = ["hvm", "xen", "linux", "exe", "uml", "xenpvh"];

    public static readonly string[] DomainOsDefFirmware = ["none", "bios", "efi"];

    public static readonly string[] DomainOsDefFirmwareFeature = ["enrolled-keys", "secure-boot"];

    public static readonly string[] DomainPMSuspendedReason = ["unknown"];

    public static readonly string[] DomainPanicModel = ["default", "isa", "pseries", "hyperv", "s390"];

    public static readonly string[] DomainPausedReason = ["unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from snapshot", "shutdown", "snapshot", "panicked", "starting up", "post-copy", "post-copy failed"];

    public static readonly string[] DomainProcessCapsFeature = ["audit_control", "audit_write", "block_suspend", "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "ipc_lock", "ipc_owner", "kill", "lease", "linux_immutable", "mac_admin", "mac_override", "mknod", "net_admin", "net_bind_service", "net_broadcast", "net_raw", "setgid", "setfcap", "setpcap", "setuid", "sys_admin", "sys_boot", "sys_chroot", "sys_module", "sys_nice", "sys_pacct", "sys_ptrace", "sys_rawio", "sys_resource", "sys_time", "sys_tty_config", "syslog", "wake_alarm"];

    public static readonly string[] DomainRNGBackend = ["random", "egd", "builtin"];

    public static readonly string[] DomainRNGModel = ["virtio", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainRedirdevBus = ["usb"];

    public static readonly string[] DomainRunningReason = ["unknown", "booted", "migrated", "restored", "from snapshot", "unpaused", "migration canceled", "save canceled", "wakeup", "crashed", "post-copy", "post-copy failed"];

    public static readonly string[] DomainSBBC = ["none", "broken", "workaround", "fixed"];

    public static readonly string[] DomainSeclabel = ["default", "none", "dynamic", "static"];

    public static readonly string[] DomainShmemModel = ["ivshmem", "ivshmem-plain", "ivshmem-doorbell"];

    public static readonly string[] DomainShmemRole = ["default", "master", "peer"];

    public static readonly string[] DomainShutdownReason = ["unknown", "user"];

    public static readonly string[] DomainShutoffReason = ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot", "daemon"];

    public static readonly string[] DomainSmartcard = ["host", "host-certificates", "passthrough"];

    public static readonly string[] DomainSmbiosMode = ["none", "emulate", "host", "sysinfo"];

    public static readonly string[] DomainSnapshotLocation = ["default", "no", "internal", "external", "manual"];

    public static readonly string[] DomainSnapshotState = ["nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended", "disk-snapshot"];

    public static readonly string[] DomainSoundCodec = ["duplex", "micro", "output"];

    public static readonly string[] DomainSoundModel = ["sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "ich7"];

    public static readonly string[] DomainStartupPolicy = ["default", "mandatory", "requisite", "optional"];

    public static readonly string[] DomainState = ["nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"];

    public static readonly string[] DomainTPMBackend = ["passthrough", "emulator", "external"];

    public static readonly string[] DomainTPMModel = ["default", "tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy"];

    public static readonly string[] DomainTPMPcrBank = ["sha1", "sha256", "sha384", "sha512"];

    public static readonly string[] DomainTPMVersion = ["default", "1.2", "2.0"];

    public static readonly string[] DomainTaint = ["custom-argv", "custom-monitor", "high-privileges", "shell-scripts", "disk-probing", "external-launch", "host-cpu", "hook-script", "cdrom-passthrough", "custom-dtb", "custom-ga-command", "custom-hypervisor-feature", "deprecated-config", "custom-device"];

    public static readonly string[] DomainTaintMessage = ["custom configuration parameters specified", "custom monitor control commands issued", "running with undesirable elevated privileges", "network configuration using opaque shell scripts", "potentially unsafe disk format probing", "managing externally launched configuration", "potentially unsafe use of host CPU passthrough", "configuration potentially modified by hook script", "use of host cdrom passthrough", "custom device tree blob used", "custom guest agent control commands issued", "hypervisor feature autodetection override", "use of deprecated configuration settings", "custom device configuration"];

    public static readonly string[] DomainTimerMode = ["none", "auto", "native", "emulate", "paravirt", "smpsafe"];

    public static readonly string[] DomainTimerName = ["platform", "pit", "rtc", "hpet", "tsc", "kvmclock", "hypervclock", "armvtimer"];

    public static readonly string[] DomainTimerTickpolicy = ["none", "delay", "catchup", "merge", "discard"];

    public static readonly string[] DomainTimerTrack = ["none", "boot", "guest", "wall", "realtime"];

    public static readonly string[] DomainVideo = ["default", "vga", "cirrus", "vmvga", "xen", "vbox", "qxl", "parallels", "virtio", "gop", "none", "bochs", "ramfb"];

    public static readonly string[] DomainVideoBackend = ["default", "qemu", "vhostuser"];

    public static readonly string[] DomainVideoVGAConf = ["io", "on", "off"];

    public static readonly string[] DomainVirt = ["none", "qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv", "vbox", "phyp", "parallels", "bhyve", "vz", "hvf"];

    public static readonly string[] DomainVsockModel = ["default", "virtio", "virtio-transitional", "virtio-non-transitional"];

    public static readonly string[] DomainWatchdogAction = ["reset", "shutdown", "poweroff", "pause", "dump", "none", "inject-nmi"];

    public static readonly string[] DomainWatchdogModel = ["i6300esb", "ib700", "diag288"];

    public static readonly string[] DomainXen = ["e820_host", "passthrough"];

    public static readonly string[] DomainXenPassthroughMode = ["default", "sync_pt", "share_pt"];

    public static readonly string[] ErrorDomain = ["", "Xen Driver", "Xen Daemon", "Xen Store", "S-Expression", "XML Util", "Domain", "XML-RPC", "Proxy Daemon", "Config File", "QEMU Driver", "Network", "Test Driver", "Remote Driver", "OpenVZ Driver", "Xen XM Driver", "Linux Statistics", "LXC Driver", "Storage Driver", "Network Driver", "Domain Config", "User Mode Linux Driver", "Node Device Driver", "Xen Inotify Driver", "Security Driver", "VirtualBox Driver", "Network Interface Driver", "Open Nebula Driver", "ESX Driver", "Power Hypervisor Driver", "Secrets Driver", "CPU Driver", "XenAPI Driver", "Network Filter Driver", "Lifecycle Hook", "Domain Snapshot", "Audit Utils", "Sysinfo Utils", "I/O Stream Utils", "VMware Driver", "Event Loop", "Xen Light Driver", "Lock Driver", "Hyper-V Driver", "Capabilities Utils", "URI Utils", "Authentication Utils", "DBus Utils", "Parallels Cloud Server", "Device Config", "SSH transport layer", "Lock Space", "Init control", "Identity", "Cgroup", "Access Manager", "Systemd", "Bhyve", "Crypto", "Firewall", "Polkit", "Thread jobs", "Admin Interface", "Log Manager", "Xen XL Config", "Perf", "Libssh transport layer", "Resource control", "FirewallD", "Domain Checkpoint", "TPM", "BPF", "Cloud-Hypervisor Driver"];

    public static readonly string[] FirewallDBackend = ["", "iptables", "nftables"];

    public static readonly string[] FirewallLayerCommand = [];

    public static readonly string[] FirewallLayerFirewallD = ["eb", "ipv4", "ipv6"];

    public static readonly string[] GICVersion = ["none", "host", "2", "3"];

    public static readonly string[] HookBhyveOp = ["start", "stopped", "prepare", "release", "started"];

    public static readonly string[] HookDaemonOp = ["start", "shutdown", "reload"];

    public static readonly string[] HookDriver = ["daemon", "qemu", "lxc", "network", "libxl", "bhyve"];

    public static readonly string[] HookLibxlOp = ["start", "stopped", "prepare", "release", "migrate", "started", "reconnect"];

    public static readonly string[] HookLxcOp = ["start", "stopped", "prepare", "release", "started", "reconnect"];

    public static readonly string[] HookNetworkOp = ["start", "started", "stopped", "port-created", "port-deleted", "updated"];

    public static readonly string[] HookQemuOp = ["start", "stopped", "prepare", "release", "migrate", "started", "reconnect", "attach", "restore"];

    public static readonly string[] HookSubop = ["-", "begin", "end"];

    public static readonly string[] Interface = ["ethernet", "bridge", "bond", "vlan"];

    public static readonly string[] KeycodeSet = ["linux", "xt", "atset1", "atset2", "atset3", "os_x", "xt_kbd", "usb", "win32", "qnum"];

    public static readonly string[] LogDestination = ["stderr", "syslog", "file", "journald"];

    public static readonly string[] MediatedDeviceModel = ["vfio-pci", "vfio-ccw", "vfio-ap"];

    public static readonly string[] MemoryLatency = ["none", "access", "read", "write"];

    public static readonly string[] NWFilterChainPolicy = ["ACCEPT", "DROP"];

    public static readonly string[] NWFilterChainSuffix = ["root", "mac", "vlan", "stp", "arp", "rarp", "ipv4", "ipv6"];

    public static readonly string[] NWFilterEbtablesTable = ["filter", "nat", "broute"];

    public static readonly string[] NWFilterJumpTarget = ["DROP", "ACCEPT", "REJECT", "RETURN", "CONTINUE"];

    public static readonly string[] NWFilterRuleAction = ["drop", "accept", "reject", "return", "continue"];

    public static readonly string[] NWFilterRuleDirection = ["in", "out", "inout"];

    public static readonly string[] NWFilterRuleProtocol = ["none", "mac", "vlan", "stp", "arp", "rarp", "ip", "ipv6", "tcp", "icmp", "igmp", "udp", "udplite", "esp", "ah", "sctp", "all", "tcp-ipv6", "icmpv6", "udp-ipv6", "udplite-ipv6", "esp-ipv6", "ah-ipv6", "sctp-ipv6", "all-ipv6"];

    public static readonly string[] NativeVlanMode = ["default", "tagged", "untagged"];

    public static readonly string[] NetDevFeature = ["rx", "tx", "sg", "tso", "gso", "gro", "lro", "rxvlan", "txvlan", "ntuple", "rxhash", "rdma", "txudptnl", "switchdev"];

    public static readonly string[] NetDevIfState = ["", "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"];

    public static readonly string[] NetDevMacVLanMode = ["vepa", "private", "bridge", "passthrough"];

    public static readonly string[] NetDevRxFilterMode = ["none", "normal", "all"];

    public static readonly string[] NetDevVPort = ["none", "802.1Qbg", "802.1Qbh", "openvswitch", "midonet"];

    public static readonly string[] NetDevVPortProfileOp = ["create", "save", "restore", "destroy", "migrate out", "migrate in start", "migrate in finish", "no-op"];

    public static readonly string[] NetworkBridgeMACTableManager = ["default", "kernel", "libvirt"];

    public static readonly string[] NetworkDHCPLeaseTimeUnit = ["seconds", "minutes", "hours"];

    public static readonly string[] NetworkForward = ["none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev"];

    public static readonly string[] NetworkForwardDriverName = ["default", "kvm", "vfio"];

    public static readonly string[] NetworkForwardHostdevDevice = ["none", "pci", "netdev"];

    public static readonly string[] NetworkPortPlug = ["none", "network", "bridge", "direct", "hostdev-pci"];

    public static readonly string[] NetworkTaint = ["hook-script"];

    public static readonly string[] NodeDevCap = ["system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi", "storage", "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw", "css", "vdpa", "ap_card", "ap_queue", "ap_matrix", "vpd"];

    public static readonly string[] NodeDevDRM = ["primary", "control", "render"];

    public static readonly string[] NodeDevDevnode = ["dev", "link"];

    public static readonly string[] NodeDevNetCap = ["80203", "80211"];

    public static readonly string[] NumaCacheAssociativity = ["none", "direct", "full"];

    public static readonly string[] NumaCachePolicy = ["none", "writeback", "writethrough"];

    public static readonly string[] PCIELinkSpeed = ["", "2.5", "5", "8", "16", "32", "64"];

    public static readonly string[] PCIHeader = ["endpoint", "pci-bridge", "cardbus-bridge"];

    public static readonly string[] PCIStubDriver = ["none", "pciback", "vfio-pci"];

    public static readonly string[] PerfEvent = ["cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses", "branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend", "stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults", "context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj", "alignment_faults", "emulation_faults"];

    public static readonly string[] ProcessSchedPolicy = ["none", "batch", "idle", "fifo", "rr"];

    public static readonly string[] Resctrl = ["", "CODE", "DATA"];

    public static readonly string[] ResctrlMonitorPrefix = ["__unsupported__", "llc_", "mbm_"];

    public static readonly string[] SecretUsage = ["none", "volume", "ceph", "iscsi", "tls", "vtpm"];

    public static readonly string[] Storage = ["none", "file", "block", "dir", "network", "volume", "nvme", "vhostuser"];

    public static readonly string[] StorageAdapter = ["default", "scsi_host", "fc_host"];

    public static readonly string[] StorageAuth = ["none", "chap", "ceph"];

    public static readonly string[] StorageEncryptionEngine = ["default", "qemu", "librbd"];

    public static readonly string[] StorageEncryptionFormat = ["default", "qcow", "luks", "luks2"];

    public static readonly string[] StorageEncryptionSecret = ["passphrase"];

    public static readonly string[] StorageFileFeature = ["lazy_refcounts", "extended_l2"];

    public static readonly string[] StorageFileFormat = ["none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow", "qcow", "qcow2", "qed", "vmdk"];

    public static readonly string[] StorageNetHostTransport = ["tcp", "unix", "rdma"];

    public static readonly string[] StorageNetProtocol = ["none", "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http", "https", "ftp", "ftps", "tftp", "ssh", "vxhs", "nfs"];

    public static readonly string[] StoragePartedFs = ["ext2", "ext2", "fat16", "fat32", "linux-swap", "ext2", "ext2", "extended"];

    public static readonly string[] StoragePool = ["dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage"];

    public static readonly string[] StoragePoolFormatDisk = ["unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2"];

    public static readonly string[] StoragePoolFormatFileSystem = ["auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+", "xfs", "ocfs2", "vmfs"];

    public static readonly string[] StoragePoolFormatFileSystemNet = ["auto", "nfs", "glusterfs", "cifs"];

    public static readonly string[] StoragePoolFormatLogical = ["unknown", "lvm2"];

    public static readonly string[] StorageSourcePoolMode = ["default", "host", "direct"];

    public static readonly string[] StorageVol = ["file", "block", "dir", "network", "netdir", "ploop"];

    public static readonly string[] StorageVolDefRefreshAllocation = ["default", "capacity"];

    public static readonly string[] StorageVolFormatDisk = ["none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended"];

    public static readonly string[] Sysinfo = ["smbios", "fwcfg"];

    public static readonly string[] TPMBinary = ["swtpm", "swtpm_setup", "swtpm_ioctl"];

    public static readonly string[] TPMSwtpmFeature = ["cmdarg-pwd-fd", "cmdarg-migration"];

    public static readonly string[] TPMSwtpmSetupFeature = ["cmdarg-pwdfile-fd", "cmdarg-create-config-files", "tpm12-not-need-root", "cmdarg-reconfigure-pcr-banks", "tpm-1.2", "tpm-2.0"];

    public static readonly string[] TypedParameter = ["unknown", "int", "uint", "llong", "ullong", "double", "boolean", "string"];
}
