<?php
// A Laravel-style payments service: the log channel comes from Laravel's LogManager
// with the "stderr" channel of Laravel's default config/logging.php, and exceptions are
// logged the way Laravel's exception handler reports them.
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

    class LedgerClient
    {
        private Client $http;

        public function __construct(int $port)
        {
            $this->http = new Client(['base_uri' => "http://127.0.0.1:$port", 'timeout' => 1]);
        }

        // Nothing listens on the ledger's port.
        public function record(int $orderId): void
        {
            try {
                $this->http->post('/ledger', ['json' => ['order' => $orderId]]);
            } catch (ConnectException $e) {
                throw new PaymentException("ledger write failed for order $orderId", 0, $e);
            }
        }
    }

    class AmountParser
    {
        public function cents(int $orderId, $amount): int
        {
            try {
                return intdiv($amount, 1);
            } catch (\TypeError $e) {
                throw new PaymentException("bad amount for order $orderId", 0, $e);
            }
        }
    }
}

namespace {
    require_once 'Monolog/autoload.php';
    require_once 'Illuminate/Log/autoload.php';
    require_once 'Illuminate/Config/autoload.php';
    require_once 'Illuminate/Container/autoload.php';
    require_once 'GuzzleHttp/autoload.php';

    use App\Exceptions\PaymentException;
    use App\Payments\AmountParser;
    use App\Payments\LedgerClient;
    use Illuminate\Config\Repository;
    use Illuminate\Container\Container;
    use Illuminate\Log\LogManager;
    use Monolog\Handler\StreamHandler;

    // Marker lines for tests/formats/generate.py, on the channel's stream (stderr), after it.
    function marker(string $verb, ?array $fields = null): void
    {
        fwrite(STDERR, "@@logship@@ $verb" . ($fields === null ? '' : ' ' . json_encode($fields, JSON_UNESCAPED_SLASHES)) . "\n");
    }

    function begin_entry(string $id, string $group, array $types): void
    {
        marker('begin', ['id' => $id, 'error' => true, 'group' => $group, 'types' => $types,
                         'logger' => 'production', 'level_marks_error' => true]);
    }

    // Laravel's exception handler (Illuminate\Foundation\Exceptions\Handler::report).
    function report(\Psr\Log\LoggerInterface $log, \Throwable $e): void
    {
        $log->error($e->getMessage(), ['exception' => $e]);
    }

    $closed = stream_socket_server('tcp://127.0.0.1:0');
    $closedPort = (int) substr(strrchr(stream_socket_get_name($closed, false), ':'), 1);
    fclose($closed);

    // The two methods of Laravel's Application that LogManager calls, APP_ENV=production.
    class Application extends Container
    {
        public function runningUnitTests(): bool
        {
            return false;
        }

        public function environment(): string
        {
            return 'production';
        }
    }

    // config/logging.php of a new Laravel 8 app, the channel containers use.
    $app = new Application();
    $app['env'] = 'production';
    $app['events'] = null;
    $app['config'] = new Repository(['logging' => [
        'default' => 'stderr',
        'channels' => [
            'stderr' => [
                'driver' => 'monolog',
                'level' => 'debug',
                'handler' => StreamHandler::class,
                'formatter' => null,
                'with' => ['stream' => 'php://stderr'],
            ],
        ],
    ]]);
    $log = (new LogManager($app))->channel();

    marker('meta', ['framework' => 'monolog-laravel',
                    'version' => 'monolog ' . getenv('MONOLOG_VERSION') . ', illuminate/log '
                        . getenv('ILLUMINATE_LOG_VERSION') . ' (php ' . PHP_VERSION . ')',
                    'language' => 'php',
                    'configuration' => "Laravel's LogManager with the stderr channel of Laravel's config/logging.php "
                        . "(LOG_CHANNEL=stderr, no LOG_STDERR_FORMATTER: Laravel's LineFormatter, "
                        . "allowInlineLineBreaks, ignoreEmptyContextAndExtra, includeStacktraces, 'Y-m-d H:i:s'); "
                        . "channel name = APP_ENV (production); exceptions reported as Laravel's handler does"]);

    $log->info('payments service started', ['pid' => getmypid()]);
    $log->info('charged order 1001 for alice', ['amount' => '12.50 EUR']);
    $log->warning('order 1002 retried', ['attempt' => 2]);

    begin_entry('untyped-1', 'untyped', []);
    $log->error('payment 4711 declined', ['user' => 'alice', 'amount' => '12.50 EUR', 'trace_id' => '3f9a1c2e7b']);
    marker('end');
    begin_entry('untyped-2', 'untyped', []);
    $log->error('payment 5820 declined', ['user' => 'bob', 'amount' => '7.00 EUR', 'trace_id' => 'a81d44f0c9']);
    marker('end');

    $ledger = new LedgerClient($closedPort);
    foreach (['trace-refused-1' => 1003, 'trace-refused-2' => 1004] as $id => $order) {
        begin_entry($id, 'trace-refused', ['App\Exceptions\PaymentException', 'GuzzleHttp\Exception\ConnectException']);
        try {
            $ledger->record($order);
        } catch (PaymentException $e) {
            report($log, $e);
        }
        marker('end');
    }

    begin_entry('trace-number-1', 'trace-number', ['App\Exceptions\PaymentException', 'TypeError']);
    try {
        (new AmountParser())->cents(1005, '12,50');
    } catch (PaymentException $e) {
        report($log, $e);
    }
    marker('end');

    $log->info('charged order 1006 for carol', ['amount' => '3.20 EUR']);
}
