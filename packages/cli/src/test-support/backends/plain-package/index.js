throw new Error('the CLI must not import a package that declares no backend');
