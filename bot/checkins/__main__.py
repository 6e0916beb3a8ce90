from bot.checkins.scheduler import main

main()
