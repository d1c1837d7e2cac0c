xl migrate idle1
