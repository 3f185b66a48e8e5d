# The Pact Broker (the pact_broker gem) as this project runs it: started with
# puma by `npm run broker` and by the contract tests (scripts/contract/pact-broker.ts).
# Every setting is one of the gem's own PACT_BROKER_* environment variables;
# those below are the defaults of a broker on a developer's machine, and an
# environment variable set by the caller wins over each.
{
  # Logs to the terminal that started it (the gem's default is a file in ./log).
  "PACT_BROKER_LOG_STREAM" => "stdout",
  "PACT_BROKER_LOG_LEVEL" => "warn",
  # An empty broker: no example pacticipants among ours.
  "PACT_BROKER_SEED_EXAMPLE_DATA" => "false",
  # Webhooks may call endpoints on this machine over plain HTTP (npm run
  # verify-changed-pact): a broker on 127.0.0.1 talks to nothing else.
  "PACT_BROKER_WEBHOOK_SCHEME_WHITELIST" => "http https",
  "PACT_BROKER_WEBHOOK_HOST_WHITELIST" => "127.0.0.1 localhost",
  # Retried webhooks wait 10 s, 1 min, 2 min… by default; a local broker's first retry comes sooner.
  "PACT_BROKER_WEBHOOK_RETRY_SCHEDULE" => "2 10 60",
}.each { |name, value| ENV[name] ||= value }

# The gem still calls Sequel.datetime_class=, which Sequel 5.110 deprecates
# with a stack trace on every start: nothing a user of the broker can act on.
require "sequel"
Sequel::Deprecation.output = nil

require "pact_broker"

run PactBroker::App.new
