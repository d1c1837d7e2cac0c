xl migrate idle1 127.0.0.1
