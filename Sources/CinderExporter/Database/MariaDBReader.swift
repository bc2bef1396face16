internal import CMariaDB
