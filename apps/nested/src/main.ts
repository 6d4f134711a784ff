import { runApp } from '@matryoshka/experiment';
import { nestedApp } from './app';

void runApp(nestedApp);
