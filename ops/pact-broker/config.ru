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

# With SQLite (a local broker's default), requests that write while others
# read or write failed with 500 "SQLite3::BusyException: database is locked"
# (a webhook's verification published while CI read the matrix, say): the gem
# opens SQLite as Sequel does by default, in rollback-journal mode, with
# deferred transactions, and with sqlite3's busy_timeout, which keeps Ruby's
# lock while it waits, so puma's thread holding the database cannot finish.
# Three settings make the threads take turns instead:
# - WAL: readers no longer wait for a writer, nor a writer for readers;
# - immediate transactions: a write request takes the write lock when it
#   begins, so two writers queue rather than deadlock on upgrading a read lock
#   (which SQLite refuses at once, without waiting);
# - busy_handler_timeout: waits for the lock (up to 5 s, Sequel's default)
#   while letting the other threads run.
sqlite_for_concurrent_requests = proc do |config|
  next unless config.database_configuration[:adapter] == "sqlite"

  after_connect = proc do |sqlite|
    sqlite.busy_handler_timeout = 5000
    sqlite.execute("PRAGMA journal_mode = WAL")
  end
  connection = PactBroker.create_database_connection(config.database_configuration.merge(after_connect: after_connect), config.logger)
  connection.transaction_mode = :immediate
  config.database_connection = connection
end

run PactBroker::App.new(&sqlite_for_concurrent_requests)
