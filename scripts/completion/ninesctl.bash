# bash completion for ninesctl (installed as
# share/bash-completion/completions/ninesctl). Commands and options come
# from `ninesctl --help`, children from the running tree (`status --json`),
# versions from `release list --json`: nothing here can drift from the
# program it completes.

_ninesctl_socket_args() {
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        [[ ${COMP_WORDS[i]} == --socket ]] && printf -- '--socket\n%s\n' "${COMP_WORDS[i + 1]}"
    done
}

_ninesctl_json_values() { # KEY COMMAND...: every "KEY":"VALUE" of the answer
    local key=$1 args
    shift
    mapfile -t args < <(_ninesctl_socket_args)
    ninesctl "${args[@]}" --json "$@" 2>/dev/null | grep -o "\"$key\":\"[^\"]*\"" | sed "s/^\"$key\":\"//; s/\"\$//"
}

_ninesctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local i words=() cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --socket | --timeout | --module | --extra | --id) ((i++)) ;;
        -*) ;;
        *) words+=("${COMP_WORDS[i]}") ;;
        esac
    done
    case $prev in
    --socket | --module)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --timeout | --extra | --id) return ;;
    esac
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(ninesctl --help 2>/dev/null | grep -o -- '--[a-z-]*' | sort -u)" -- "$cur")
        return
    fi
    if ((${#words[@]} == 0)); then
        local commands
        commands=$(ninesctl --help 2>/dev/null | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}' | sort -u)
        mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        return
    fi
    cmd=${words[0]}
    case $cmd in
    release)
        if ((${#words[@]} == 1)); then
            mapfile -t COMPREPLY < <(compgen -W "list unpack make-permanent remove" -- "$cur")
        elif [[ ${words[1]} == unpack ]]; then
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        elif [[ ${words[1]} == make-permanent || ${words[1]} == remove ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_ninesctl_json_values version release list)" -- "$cur")
        fi
        ;;
    downgrade)
        mapfile -t COMPREPLY < <(compgen -W "$(_ninesctl_json_values version release list)" -- "$cur")
        ;;
    signal)
        if ((${#words[@]} == 1)); then
            mapfile -t COMPREPLY < <(compgen -W "$(_ninesctl_json_values path status)" -- "$cur")
        elif ((${#words[@]} == 2)); then
            mapfile -t COMPREPLY < <(compgen -W "HUP INT QUIT TERM USR1 USR2 KILL WINCH" -- "$cur")
        fi
        ;;
    status | top | call | cast | restart | terminate | delete | start | start-child | upgrade)
        if ((${#words[@]} == 1)); then
            local paths
            paths=$(_ninesctl_json_values path status)
            [[ $cmd == upgrade ]] && paths+=" $(_ninesctl_json_values version release list)"
            mapfile -t COMPREPLY < <(compgen -W "$paths" -- "$cur")
        fi
        ;;
    esac
}
complete -F _ninesctl ninesctl
