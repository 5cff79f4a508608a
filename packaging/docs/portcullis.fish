# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_portcullis_global_optspecs
    string join \n h/help V/version
end

function __fish_portcullis_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_portcullis_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_portcullis_using_subcommand
    set -l cmd (__fish_portcullis_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c portcullis -n "__fish_portcullis_needs_command" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_needs_command" -s V -l version -d 'Print version'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "test-filter" -d 'Run a filter over a log file and report the failures it finds (fail2ban-regex\'s job)'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "list" -d 'List the addresses banned in the kernel\'s sets, read over netlink (no daemon needed)'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "check-config" -d 'Validate the configuration file and the filters it uses, without starting anything'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "import-fail2ban" -d 'Print a portcullis configuration for a fail2ban installation\'s enabled jails'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "daemon" -d 'Run the server in the foreground (systemd Type=notify)'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "status" -d 'Jails, counters and (for one jail) its banned addresses, from the daemon'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "ban" -d 'Ban an address in a jail'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "unban" -d 'Lift a ban (JAIL ADDR), or every ban ([JAIL] --all)'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "banned" -d 'Which jails ban an address; without one, every ban (--times: with start and end)'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "reload" -d 'Re-read the configuration; an invalid one is rejected and the running one stays'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "get" -d 'Read a jail\'s setting: maxretry, findtime, bantime, ignore'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "set" -d 'Change a jail\'s setting until the next reload'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "ping" -d 'Ask whether the daemon answers: prints pong, exits 0; 3 when none answers (health checks)'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "pause" -d 'Stop reading a jail\'s logs; its bans stay in the kernel and expire as before'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "resume" -d 'Go on reading a paused jail\'s logs from where it stopped'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "man" -d 'Print the man page, portcullis(1), in roff'
complete -c portcullis -n "__fish_portcullis_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l mode -d 'The filter\'s mode (sshd: normal, ddos, extra, aggressive)' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l logtype -d 'How lines are framed: file (syslog with dates), journal, rfc5424, short (journal framing after the line\'s own date)' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l set -d 'A filter parameter, e.g. --set logging=syslog (for a fail2ban filter file: any of its [Init] options, as in a jail\'s filter = NAME[K=V])' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l now -d 'The current time (RFC 3339): anchors year inference; the time of journal lines' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l timezone -d 'The zone of dates that carry none (IANA name); default: the system\'s' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l json -d 'One JSON object per failure on stdout, nothing else'
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l print-matched -d 'Print the lines that produced or joined a failure'
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -l print-missed -d 'Print the lines no fail regex matched'
complete -c portcullis -n "__fish_portcullis_using_subcommand test-filter" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand list" -l table -d 'The nftables table (family inet) portcullis owns' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand list" -l json -d 'One JSON array of {"jail", "address", "timeout_ms", "expires_ms"}, and "origin" for a ban taken from another node'
complete -c portcullis -n "__fish_portcullis_using_subcommand list" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand check-config" -l config -d 'The configuration file' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand check-config" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand import-fail2ban" -l prefer-bundled -d 'Use portcullis\'s bundled filter where one has the fail2ban filter\'s name'
complete -c portcullis -n "__fish_portcullis_using_subcommand import-fail2ban" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand daemon" -l config -d 'The configuration file' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand daemon" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand status" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand status" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand status" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand ban" -l for -d 'How long (10m, 1h30m, permanent); default: the jail\'s bantime. A running ban is only ever prolonged by this, never shortened' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand ban" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand ban" -l replace -d 'Set exactly this ban time, even if the running ban is longer'
complete -c portcullis -n "__fish_portcullis_using_subcommand ban" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand ban" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand unban" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand unban" -l all -d 'Lift every ban (of JAIL, or of all jails)'
complete -c portcullis -n "__fish_portcullis_using_subcommand unban" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand unban" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand banned" -l jail -d 'With --times: only this jail\'s bans' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand banned" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand banned" -l times -d 'Every ban with its start, its end and the time left (UTC; start from the daemon\'s records, "unknown" when it has none)'
complete -c portcullis -n "__fish_portcullis_using_subcommand banned" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand banned" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand reload" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand reload" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand reload" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand get" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand get" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand get" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand set" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand set" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand set" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand ping" -l timeout -d 'Seconds to wait for the answer; a daemon that accepts but does not answer by then (hung, stopped) counts as none (exit 3)' -r
complete -c portcullis -n "__fish_portcullis_using_subcommand ping" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand ping" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand ping" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand pause" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand pause" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand pause" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand resume" -l socket -d 'The daemon\'s control socket' -r -F
complete -c portcullis -n "__fish_portcullis_using_subcommand resume" -l json -d 'Print the daemon\'s JSON reply as is'
complete -c portcullis -n "__fish_portcullis_using_subcommand resume" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand completions" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand man" -s h -l help -d 'Print help'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "test-filter" -d 'Run a filter over a log file and report the failures it finds (fail2ban-regex\'s job)'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "list" -d 'List the addresses banned in the kernel\'s sets, read over netlink (no daemon needed)'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "check-config" -d 'Validate the configuration file and the filters it uses, without starting anything'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "import-fail2ban" -d 'Print a portcullis configuration for a fail2ban installation\'s enabled jails'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "daemon" -d 'Run the server in the foreground (systemd Type=notify)'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "status" -d 'Jails, counters and (for one jail) its banned addresses, from the daemon'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "ban" -d 'Ban an address in a jail'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "unban" -d 'Lift a ban (JAIL ADDR), or every ban ([JAIL] --all)'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "banned" -d 'Which jails ban an address; without one, every ban (--times: with start and end)'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "reload" -d 'Re-read the configuration; an invalid one is rejected and the running one stays'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "get" -d 'Read a jail\'s setting: maxretry, findtime, bantime, ignore'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "set" -d 'Change a jail\'s setting until the next reload'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "ping" -d 'Ask whether the daemon answers: prints pong, exits 0; 3 when none answers (health checks)'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "pause" -d 'Stop reading a jail\'s logs; its bans stay in the kernel and expire as before'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "resume" -d 'Go on reading a paused jail\'s logs from where it stopped'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "man" -d 'Print the man page, portcullis(1), in roff'
complete -c portcullis -n "__fish_portcullis_using_subcommand help; and not __fish_seen_subcommand_from test-filter list check-config import-fail2ban daemon status ban unban banned reload get set ping pause resume completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
