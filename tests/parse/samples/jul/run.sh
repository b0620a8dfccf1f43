cd "$(dirname "$0")" && mkdir -p build && javac -d build Main.java && java -cp build com.shop.payments.Main
