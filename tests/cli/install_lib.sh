# Checks shared by install_package.sh and deb_package.sh: the completion scripts and the
# programs of examples/, wherever they were installed. Sourced after lib.sh.

# bash_complete SCRIPT WORD...: the replies of SCRIPT's bash completion when the last WORD
# of the command line is being completed, one a line.
bash_complete() {
  local script=$1
  shift
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _evlog; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$script" "$@"
}

# fish_complete SCRIPT LINE: fish's completions for the command line LINE, names only.
fish_complete() {
  fish --no-config -c "source '$1'; complete -C '$2'" | cut -f1
}

# expected_completions COMMAND...: lines "COMMAND...|WORD" for every subcommand and every
# long option that `evlog COMMAND... --help` lists, and so on down the tree.
expected_completions() {
  local help name
  help=$(evlog "$@" --help)
  for name in $(sed -n '/^Subcommands:/,/^$/p' <<<"$help" | awk '/^  [a-z]/ {print $1}'); do
    echo "$*|$name"
    expected_completions "$@" "$name"
  done
  awk '/^ +-/ {print $1}' <<<"$help" | tr ',' '\n' | grep '^--' | sed "s/^/$*|/" || true
}

# offered_completions SCRIPT COMMAND_LINE...: lines "COMMAND...|WORD" for what SCRIPT's bash
# completion offers after each COMMAND_LINE ("capture sqlite"), for a word that is empty and
# for one that is "--". One bash for all: each would take a tenth of a second to start.
offered_completions() {
  bash -c 'source "$1"; shift
    for line in "$@"; do
      for word in "" --; do
        COMP_WORDS=(evlog $line "$word"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _evlog
        for reply in "${COMPREPLY[@]}"; do echo "$line|$reply"; done
      done
    done' _ "$@"
}

# assert_completes_all SCRIPT: the bash completion offers every subcommand and long option
# that --help lists, at every level. The scripts are written from the CLI's definition, so
# an option added to a command is completed without anyone editing a script.
assert_completes_all() {
  local expected offered missing path word
  local command_lines=("")
  expected=$(expected_completions)
  while IFS='|' read -r path word; do
    [[ $word == -* ]] || command_lines+=("${path:+$path }$word")
  done <<<"$expected"
  offered=$(offered_completions "$1" "${command_lines[@]}")
  missing=$(grep -Fxvf <(echo "$offered") <<<"$expected" || true)
  [[ -z $missing ]] || fail "the bash completion lacks: $(tr '\n' ' ' <<<"$missing")"
  # Guards the parsing of --help above: a change of its layout must not make this vacuous.
  [[ $(wc -l <<<"$expected") -gt 100 && $expected == *"capture sqlite|--table"* ]] ||
    fail "--help parsed into too little: $expected"
}

# check_completions SHARE_DIR ZSH_DIR: the three scripts are where Debian's shells look,
# parse, and complete what they should. ZSH_DIR: vendor-completions for a package,
# site-functions for a local install.
check_completions() {
  local bash_script=$1/bash-completion/completions/evlog
  local zsh_script=$1/zsh/$2/_evlog
  local fish_script=$1/fish/vendor_completions.d/evlog.fish
  bash -n "$bash_script" || fail "bash -n $bash_script"
  zsh -n "$zsh_script" || fail "zsh -n $zsh_script"
  fish --no-config -n "$fish_script" || fail "fish -n $fish_script"
  assert_contains "$(head -1 "$zsh_script")" "#compdef evlog" "the zsh script declares its command"

  assert_eq "tail" "$(bash_complete "$bash_script" evlog ta)" "bash: evlog ta"
  assert_eq $'sqlite\npostgres' "$(bash_complete "$bash_script" evlog capture '' | sort -r)" "bash: evlog capture"
  assert_eq "--follow" "$(bash_complete "$bash_script" evlog tail --foll)" "bash: evlog tail --foll"
  # An option's value is not a subcommand: 'append' is the group here, the options are tail's.
  assert_contains "$(bash_complete "$bash_script" evlog tail -g append --f)" "--follow" "bash: evlog tail -g append --f"
  # A value is left to file-name completion (complete -o default): no reply of its own.
  assert_eq "" "$(bash_complete "$bash_script" evlog append --sync '')" "bash: evlog append --sync"

  assert_contains "$(fish_complete "$fish_script" 'evlog ta')" "tail" "fish: evlog ta"
  assert_eq $'postgres\nsqlite' "$(fish_complete "$fish_script" 'evlog capture ' | sort)" "fish: evlog capture"
  assert_contains "$(fish_complete "$fish_script" 'evlog tail --foll')" "--follow" "fish: evlog tail --foll"
}

# run_examples PRODUCER CONSUMER LOG: the producer appends a batch, the consumer group
# processes it once, and a second run of the consumer finds nothing new.
run_examples() {
  local producer=$1 consumer=$2 log=$3
  assert_eq "appended 3 events at offsets 0..2" "$("$producer" "$log" book pen ink)" "producer"
  assert_eq 'processing offset 0 key order-0: {"item":"book"}
processing offset 1 key order-1: {"item":"pen"}
processing offset 2 key order-2: {"item":"ink"}
group billing: processed 3 events; position 3' "$("$consumer" "$log" billing)" "consumer, first run"
  assert_eq "group billing: processed 0 events; position 3" "$("$consumer" "$log" billing)" "consumer, second run"
  # The CLI reads what the library wrote: events, headers and the group's position.
  assert_eq "order-2 source=producer-example" "$(evlog tail "$log" --from 2 --format '%k %h\n')" "evlog tail of the producer's log"
  assert_contains "$(evlog groups "$log")" "billing" "evlog groups of the consumer's log"
}
