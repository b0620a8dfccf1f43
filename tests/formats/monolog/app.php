<?php
// A payments worker logging through Monolog's default LineFormatter to stdout.
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

    class CallbackParser
    {
        public function amount(int $orderId, string $body): int
        {
            try {
                return json_decode($body, true, 512, JSON_THROW_ON_ERROR)['cents'];
            } catch (\JsonException $e) {
                throw new PaymentException("bad callback for order $orderId", 0, $e);
            }
        }
    }
}

namespace {
    require_once 'Monolog/autoload.php';
    require_once 'GuzzleHttp/autoload.php';

    use App\Exceptions\PaymentException;
    use App\Payments\CallbackParser;
    use App\Payments\RatesClient;
    use Monolog\Handler\StreamHandler;
    use Monolog\Logger;

    // Marker lines for tests/formats/generate.py, on the handler's stream, after it.
    function marker(string $verb, ?array $fields = null): void
    {
        fwrite(STDOUT, "@@logship@@ $verb" . ($fields === null ? '' : ' ' . json_encode($fields, JSON_UNESCAPED_SLASHES)) . "\n");
    }

    function begin_entry(string $id, string $group, array $types): void
    {
        marker('begin', ['id' => $id, 'error' => true, 'group' => $group, 'types' => $types,
                         'logger' => 'payments', 'level_marks_error' => true]);
    }

    $silent = stream_socket_server('tcp://127.0.0.1:0');
    $port = (int) substr(strrchr(stream_socket_get_name($silent, false), ':'), 1);

    $log = new Logger('payments');
    $log->pushHandler(new StreamHandler('php://stdout'));
    marker('meta', ['framework' => 'monolog', 'version' => getenv('MONOLOG_VERSION') . ' (php ' . PHP_VERSION . ')',
                    'language' => 'php',
                    'configuration' => "new Logger('payments') with one StreamHandler('php://stdout') and its default "
                        . "LineFormatter; exceptions logged as \$log->error(\$e->getMessage(), ['exception' => \$e])"]);

    $log->info('payments worker started', ['pid' => getmypid()]);
    $log->info('charged order 1001 for alice', ['amount' => '12.50 EUR']);
    $log->warning('order 1002 retried', ['attempt' => 2]);

    begin_entry('untyped-1', 'untyped', []);
    $log->error('payment 4711 declined for user alice (amount 12.50 EUR, trace 3f9a1c2e7b)');
    marker('end');
    begin_entry('untyped-2', 'untyped', []);
    $log->error('payment 5820 declined for user bob (amount 7.00 EUR, trace a81d44f0c9)');
    marker('end');

    $rates = new RatesClient($port);
    foreach (['trace-timeout-1' => 1003, 'trace-timeout-2' => 1004] as $id => $order) {
        begin_entry($id, 'trace-timeout', ['App\Exceptions\PaymentException', 'GuzzleHttp\Exception\ConnectException']);
        try {
            $rates->rateFor($order);
        } catch (PaymentException $e) {
            $log->error($e->getMessage(), ['exception' => $e]);
        }
        marker('end');
    }

    begin_entry('trace-number-1', 'trace-number', ['App\Exceptions\PaymentException', 'JsonException']);
    try {
        (new CallbackParser())->amount(1005, '<html>502 Bad Gateway</html>');
    } catch (PaymentException $e) {
        $log->error($e->getMessage(), ['exception' => $e]);
    }
    marker('end');

    $log->info('charged order 1006 for carol', ['amount' => '3.20 EUR']);
}
