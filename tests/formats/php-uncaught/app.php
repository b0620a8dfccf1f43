<?php
// A payments job worker run once per job by php-cli; the job's exception is not caught,
// so PHP itself prints it as the process dies.
declare(strict_types=1);

namespace App\Exceptions {
    class PaymentException extends \RuntimeException
    {
    }
}

namespace App\Payments {
    use App\Exceptions\PaymentException;
    use GuzzleHttp\Client;
    use GuzzleHttp\Exception\ConnectException;

    class RatesClient
    {
        private Client $http;

        public function __construct(int $port)
        {
            $this->http = new Client(['base_uri' => "http://127.0.0.1:$port", 'timeout' => 0.2]);
        }

        // The rates service accepts the connection and never answers.
        public function rateFor(int $orderId): string
        {
            try {
                return (string) $this->http->get("/rates?order=$orderId")->getBody();
            } catch (ConnectException $e) {
                throw new PaymentException("rate lookup failed for order $orderId", 0, $e);
            }
        }
    }

    class Schedule
    {
        public function dueDate(int $orderId, string $raw): \DateTimeImmutable
        {
            try {
                return new \DateTimeImmutable($raw);
            } catch (\Exception $e) {
                throw new PaymentException("bad due date for order $orderId", 0, $e);
            }
        }
    }
}

namespace {
    require_once 'GuzzleHttp/autoload.php';

    use App\Payments\RatesClient;
    use App\Payments\Schedule;

    // Marker lines for tests/formats/generate.py, on the stream PHP writes its errors to.
    function marker(string $verb, ?array $fields = null): void
    {
        $stream = ini_get('log_errors') ? STDERR : STDOUT;
        fwrite($stream, "@@logship@@ $verb" . ($fields === null ? '' : ' ' . json_encode($fields, JSON_UNESCAPED_SLASHES)) . "\n");
    }

    [, $order, $entry] = $argv;
    $order = (int) $order;
    $silent = stream_socket_server('tcp://127.0.0.1:0');
    $port = (int) substr(strrchr(stream_socket_get_name($silent, false), ':'), 1);

    if ($order === 1003) {
        $ini = php_ini_loaded_file() ?: 'none';
        marker('meta', ['framework' => 'php-uncaught', 'version' => PHP_VERSION, 'language' => 'php',
                        'configuration' => "php-cli with Debian's $ini (display_errors=Off, log_errors=On, "
                            . "no error_log: errors on stderr) for the first three jobs, then php -n "
                            . "-d extension=curl (built-in display_errors=STDOUT, log_errors=Off) for the last; "
                            . "untyped errors through error_log(), a warning through trigger_error()"]);
        echo "payments worker started (pid ", getmypid(), ")\n";
        trigger_error('order 1002 retried (attempt 2)', E_USER_WARNING);
        foreach ([['untyped-1', 4711, 'alice', '12.50', '3f9a1c2e7b'], ['untyped-2', 5820, 'bob', '7.00', 'a81d44f0c9']]
                 as [$id, $payment, $user, $amount, $trace]) {
            marker('begin', ['id' => $id, 'error' => true, 'group' => 'untyped', 'types' => [],
                             'logger' => null, 'level_marks_error' => false]);
            error_log("payment $payment declined for user $user (amount $amount EUR, trace $trace)");
            marker('end');
        }
    }
    echo "processing order $order\n";

    if (str_starts_with($entry, 'trace-timeout')) {
        marker('begin', ['id' => $entry, 'error' => true, 'group' => 'trace-timeout',
                         'types' => ['App\Exceptions\PaymentException', 'GuzzleHttp\Exception\ConnectException'],
                         'logger' => null, 'level_marks_error' => true]);
        (new RatesClient($port))->rateFor($order);
    } else {
        marker('begin', ['id' => $entry, 'error' => true, 'group' => 'trace-date',
                         'types' => ['App\Exceptions\PaymentException', 'Exception'],
                         'logger' => null, 'level_marks_error' => true]);
        (new Schedule())->dueDate($order, 'next tuesday-ish');
    }
}
