<?php
// PHP errors in the shapes log tools' test suites name, printed by PHP itself.
// php app.php SHAPE: a plain start-up line, then SHAPE.

function marker(string $verb, ?array $fields = null): void
{
    fwrite(STDERR, "@@logship@@ $verb" . ($fields === null ? '' : ' ' . json_encode($fields)) . "\n");
}

function begin(string $id, bool $error, array $types, ?string $group = null): void
{
    marker('begin', ['id' => $id, 'error' => $error, 'group' => $group,
        'types' => $types, 'logger' => null, 'level_marks_error' => false]);
}

function rate(string $currency): float
{
    $rates = ['EUR' => 1.0];
    if (!isset($rates[$currency])) {
        throw new DomainException("no rate for $currency");
    }
    return $rates[$currency];
}

function total(array $lines): float
{
    return array_sum(array_map(fn ($line) => rate($line['currency']) * $line['amount'], $lines));
}

$shape = $argv[1];
begin("plain-$shape", false, []);
fwrite(STDERR, "worker $shape listening on :8080\n");
if ($shape === 'printed') {
    begin('printed', true, ['DomainException'], 'no-rate');
    try {
        total([['currency' => 'USD', 'amount' => 3]]);
    } catch (Exception $e) {
        fwrite(STDERR, $e . "\n");
    }
    begin('plain-after', false, []);
    fwrite(STDERR, "worker $shape still serving\n");
} elseif ($shape === 'internal-function') {
    begin('internal-function', true, ['DomainException'], 'no-rate');
    call_user_func_array('total', [[['currency' => 'GBP', 'amount' => 5]]]);
}
