from shop.payments import main

main()
