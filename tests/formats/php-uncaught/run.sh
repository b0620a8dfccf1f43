#!/bin/sh
# Uncaught exceptions as php-cli 8.2 prints them, one worker process per job.
# Runs 1-3 use Debian's php-cli configuration (/etc/php/8.2/cli/php.ini, the production
# values: display_errors=Off, log_errors=On, no error_log, zend.exception_ignore_args=On),
# which logs "PHP Fatal error:  Uncaught ..." to stderr, as a container running Debian's
# php-cli (or the official image with php.ini-production) shows it. Run 4 uses no php.ini
# at all (php -n: PHP 8's built-in display_errors=STDOUT, log_errors=Off), as the official
# php image shows it before a php.ini is copied in: "Fatal error: Uncaught ..." on stdout
# (curl is loaded by hand: the official image has it built in, Debian loads it from conf.d).
# PHP 7 is not installable here (Debian 12 ships PHP 8.2 only; apt-cache policy
# php7.4-cli: no candidate), so PHP 7's output is not captured.
# Needs Debian's php-cli 8.2, Guzzle and php-curl:
#   apt-get install -y php-cli php-guzzlehttp-guzzle php-curl
# Network use is 127.0.0.1 only (a silent local listener).
set -eu
if [ ! -f /usr/share/php/GuzzleHttp/autoload.php ] || ! php -r 'exit(extension_loaded("curl") ? 0 : 1);'; then
    echo "run.sh: Guzzle or php-curl is missing: apt-get install -y php-cli php-guzzlehttp-guzzle php-curl" >&2
    exit 1
fi
if [ ! -f /etc/php/8.2/cli/php.ini ]; then
    echo "run.sh: Debian's /etc/php/8.2/cli/php.ini is missing: apt-get install -y php8.2-cli" >&2
    exit 1
fi
export TZ=UTC
app="$(pwd)/app.php"
# The worker dies on its exception; the entry it opened ends when the process does.
php -d date.timezone=UTC "$app" 1003 trace-timeout-1 || true
echo "@@logship@@ end"
php -d date.timezone=UTC "$app" 1004 trace-timeout-2 || true
echo "@@logship@@ end"
php -d date.timezone=UTC "$app" 1005 trace-date-1 || true
echo "@@logship@@ end"
php -n -d extension=curl -d date.timezone=UTC "$app" 1006 trace-timeout-3
