xl migrate idle1 nosuchhost
